_base_ = ['../_base_/setups/effl0_coco_mlt_fd.py', '../_base_/methods/dbfocal.py']

# the DB authors' COCO-MLT values: mu 0.2, lambda 2.0
model = dict(head=dict(
    loss=dict(_base_.dbfocal.loss, mu=0.2, neg_scale=2.0)))

# class-aware, as many samples per epoch as the training set has images
train_dataloader = dict(
    sampler=dict(_base_.dbfocal.sampler, num_samples='dataset'))
