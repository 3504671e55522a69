_base_ = [
    '../_base_/models/resnet101_multilabel.py',
    '../_base_/datasets/voc_mlt_448.py',
    '../_base_/schedules/sgd_step_100e.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/mlgcn.py',
]

# VOC-MLT
model = dict(
    neck=None,
    head=dict(
        _base_.mlgcn.head,
        num_classes=20,
        embedding='voc'))

optim_wrapper = dict(clip_grad=_base_.mlgcn.clip_grad)
