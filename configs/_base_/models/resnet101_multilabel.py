# model settings
# mmpretrain's ResNet-101 with ImageNet weights and a multi-label linear head.
# Leaves set head.num_classes and head.loss.
_base_ = 'mmpretrain::_base_/models/resnet101.py'

model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='https://download.openmmlab.com/mmclassification/v0/'
            'resnet/resnet101_8xb32_in1k_20210831-539c63f8.pth',
            prefix='backbone')),
    head=dict(
        _delete_=True,
        type='MultiLabelLinearClsHead',
        num_classes=20,
        in_channels=2048))
