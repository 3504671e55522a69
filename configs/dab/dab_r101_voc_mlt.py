_base_ = [
    '../_base_/models/resnet101_multilabel.py',
    '../_base_/datasets/voc_mlt_448.py',
    '../_base_/schedules/sgd_step_100e.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/dab.py',
]

# VOC-MLT
model = dict(
    head=dict(num_classes=20, loss=dict(_base_.dab.loss, epsilon=0.3)))

train_dataloader = dict(sampler=_base_.dab.sampler)
