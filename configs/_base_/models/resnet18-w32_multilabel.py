# model settings
# CPU-sized variant of resnet101_multilabel.py: ResNet-18 at half width
# (base 32 channels), trained from scratch (no download). Leaves set
# head.num_classes and head.loss.
_base_ = './resnet101_multilabel.py'

model = dict(
    backbone=dict(depth=18, stem_channels=32, base_channels=32, init_cfg=None),
    head=dict(in_channels=256))
