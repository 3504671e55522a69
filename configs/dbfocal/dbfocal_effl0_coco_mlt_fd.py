_base_ = ['../_base_/setups/effl0_coco_mlt_fd.py', '../_base_/methods/dbfocal.py']

model = dict(head=dict(loss=_base_.dbfocal.loss))

# class-aware, as many samples per epoch as the training set has images
train_dataloader = dict(
    sampler=dict(_base_.dbfocal.sampler, num_samples='dataset'))
