# dataset settings
# FD-MLT (docs/fd_mlt.md) for an ImageNet-pretrained EfficientNet-Lite: the
# 64 px canvases upsampled to 128 px (objects of 28 px become 56 px, a scale
# at which ImageNet features respond), random crop + flip as in the other
# bases, and the normalisation of the EfficientNet-Lite weights
# (mean = std = 127.5, RGB).
_base_ = './fd_mlt_64.py'

data_preprocessor = dict(mean=[127.5, 127.5, 127.5], std=[127.5, 127.5, 127.5])

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(144, 144)),
    dict(type='RandomCrop', crop_size=128),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 128)),
    dict(type='PackInputs'),
]

train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(pipeline=test_pipeline))
test_dataloader = val_dataloader
