# dataset settings
# VOC-MLT-FD (docs/mlt_fd.md): VOC-MLT's label vectors on 64 x 96 canvases of
# real photos (2 x 3 cells of 32 px, one 28 px photo per label). Build it with
#   python tools/dataset_converters/build_mlt_fd.py voc data/voc_mlt_fd
# For an ImageNet-pretrained EfficientNet-Lite: canvases upsampled 2x to
# 128 x 192 (photos of 56 px, as in fd_mlt_effl_128.py), the weights'
# normalisation, and horizontal flips as the only augmentation: two inputs
# per image, so the frozen blocks' output can be cached for training too
# (the photos already sit at random offsets; docs/mlt_fd.md has the pilot
# runs against random crops). Validation: the proxy's val split (VOC2012
# images outside VOC-MLT); test: VOC2007 test's label vectors.
_base_ = './fd_mlt_64.py'

data_preprocessor = dict(num_classes=20, mean=[127.5, 127.5, 127.5],
                         std=[127.5, 127.5, 127.5])

data_root = 'data/voc_mlt_fd'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(192, 128)),  # (w, h)
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(192, 128)),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='annotations/train.json',
                 pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(data_root=data_root, ann_file='annotations/val.json',
                 pipeline=test_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=2,
    dataset=dict(
        type='MLTDataset',
        data_root=data_root,
        ann_file='annotations/test.json',
        test_mode=True,
        pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
