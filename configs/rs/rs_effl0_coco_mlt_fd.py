_base_ = ['../_base_/setups/effl0_coco_mlt_fd.py', '../_base_/methods/rs.py']

model = dict(head=dict(loss=_base_.rs.loss))

# class-aware, as many samples per epoch as the training set has images
train_dataloader = dict(
    sampler=dict(_base_.rs.sampler, num_samples='dataset'))
