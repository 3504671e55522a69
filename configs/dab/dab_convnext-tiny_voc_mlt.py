# DAB on another backbone: mmpretrain's ConvNeXt-T model config, with the
# VOC-MLT data, schedule and runtime of dab-mm, and a multi-label DAB head.
_base_ = [
    'mmpretrain::_base_/models/convnext/convnext-tiny.py',
    '../_base_/datasets/voc_mlt_448.py',
    '../_base_/schedules/sgd_step_100e.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/dab.py',
]

# model settings
model = dict(
    train_cfg=None,  # no Mixup/CutMix from the ImageNet recipe
    backbone=dict(init_cfg=dict(
        type='Pretrained', prefix='backbone',
        checkpoint='https://download.openmmlab.com/mmclassification/v0/'
        'convnext/convnext-tiny_32xb128_in1k_20221207-998cf3e9.pth')),
    head=dict(_delete_=True, type='MultiLabelLinearClsHead', num_classes=20,
              in_channels=768, loss=dict(_base_.dab.loss, epsilon=0.3)))

# dataset settings
train_dataloader = dict(sampler=_base_.dab.sampler)
