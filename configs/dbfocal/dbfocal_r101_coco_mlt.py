_base_ = ['../_base_/setups/r101_coco_mlt.py', '../_base_/methods/dbfocal.py']

# the DB authors' COCO-MLT values: mu 0.2, lambda 2.0
model = dict(head=dict(
    loss=dict(_base_.dbfocal.loss, mu=0.2, neg_scale=2.0)))

train_dataloader = dict(sampler=_base_.dbfocal.sampler)
