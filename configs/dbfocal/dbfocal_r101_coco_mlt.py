_base_ = [
    '../_base_/models/resnet101_multilabel.py',
    '../_base_/datasets/coco_mlt_448.py',
    '../_base_/schedules/sgd_step_100e.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/dbfocal.py',
]

# COCO-MLT
# COCO-MLT values of the DB authors: mu 0.2, lambda 2.0
model = dict(
    head=dict(
        num_classes=80,
        loss=dict(_base_.dbfocal.loss, mu=0.2, neg_scale=2.0)))

train_dataloader = dict(sampler=_base_.dbfocal.sampler)
