# DAB on your own multi-label dataset (README, "Use your own dataset").
# Everything but the data comes from the VOC-MLT DAB config: ResNet-101 at
# 448 px, class-aware sampling, SGD step schedule, phi schedule, LongTailMAP.
# Class counts and head/middle/tail groups are counted from the training
# annotation file when training starts (LabelStatsHook): nothing to compute.
# Copy this file anywhere: `dab_mm::` names the configs installed with dab_mm
# (dab_mm/.mim/configs, the repository's configs/ in an editable install).
# Any baseline works the same way, e.g. 'dab_mm::rs/rs_r101_voc_mlt.py'.
_base_ = ['dab_mm::dab/dab_r101_voc_mlt.py']

# 1. the number of classes of your annotation files
num_classes = 6
# 2. where the images and annotation files are
data_root = 'data/my_dataset'
train_ann = 'mlt/train.json'  # from tools/dataset_converters/build_lt_split.py
test_ann = 'mlt/test.json'

model = dict(head=dict(num_classes=num_classes))
data_preprocessor = dict(num_classes=num_classes)

train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='MLTDataset',
        data_root=data_root,
        ann_file=train_ann,
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='MLTDataset',
        data_root=data_root,
        ann_file=test_ann,
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader

# 3. head / middle / tail: training images per class (head >= head_thr,
#    tail < tail_thr); the MLT benchmarks' values
val_evaluator = dict(type='LongTailMAP', head_thr=100, tail_thr=20)
test_evaluator = val_evaluator
