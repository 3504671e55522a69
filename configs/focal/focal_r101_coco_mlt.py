_base_ = [
    '../_base_/models/resnet101_multilabel.py',
    '../_base_/datasets/coco_mlt_448.py',
    '../_base_/schedules/sgd_step_100e.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/focal.py',
]

# COCO-MLT
model = dict(head=dict(num_classes=80, loss=_base_.focal.loss))
