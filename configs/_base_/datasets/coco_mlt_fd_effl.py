# dataset settings
# COCO-MLT-FD (docs/mlt_fd.md): COCO-MLT's label vectors on 128 x 128 canvases
# of real photos (4 x 4 cells of 32 px, one 28 px photo per label). Build it
# with
#   python tools/dataset_converters/build_mlt_fd.py coco data/coco_mlt_fd
# As voc_mlt_fd_effl.py (splits, normalisation, flips as the only
# augmentation, so the frozen blocks' output is cached for training too),
# but the canvases at their own size (photos of 28 px; 2x would cost 4x the
# compute). Validation: the proxy's val split (test label vectors on other
# photos); test: COCO val2017's label vectors.
_base_ = './voc_mlt_fd_effl.py'

data_preprocessor = dict(num_classes=80)

data_root = 'data/coco_mlt_fd'

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 128)),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]

test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(128, 128)),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = dict(
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
