_base_ = [
    '../_base_/models/resnet101_multilabel.py',
    '../_base_/datasets/voc_mlt_448.py',
    '../_base_/schedules/sgd_step_100e.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/dbfocal.py',
]

# VOC-MLT
model = dict(head=dict(num_classes=20, loss=_base_.dbfocal.loss))

train_dataloader = dict(sampler=_base_.dbfocal.sampler)
