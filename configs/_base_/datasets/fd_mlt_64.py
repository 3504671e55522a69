# dataset settings
# FD-MLT (docs/fd_mlt.md): build it with
#   python tools/dataset_converters/build_fd_mlt.py data/fd_mlt
# The same pipeline as the 448 px bases, at 64 px (random crop + flip).
_base_ = './voc_mlt_448.py'

data_preprocessor = dict(num_classes=20)

dataset_type = 'MLTDataset'
data_root = 'data/fd_mlt'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(72, 72)),
    dict(type='RandomCrop', crop_size=64),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(64, 64)),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=32,
    num_workers=2,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/train.json',
        pipeline=train_pipeline))

val_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        ann_file='annotations/test.json',
        test_mode=True,
        pipeline=test_pipeline))
test_dataloader = val_dataloader
