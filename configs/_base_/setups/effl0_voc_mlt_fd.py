# VOC-MLT-FD fine-tuned on a CPU: ImageNet-pretrained EfficientNet-Lite0
# (docs/mlt_fd.md has the protocol and the pilot runs behind the budget).
_base_ = [
    '../models/efficientnet-lite0_multilabel.py',
    '../datasets/voc_mlt_fd_effl.py',
    '../schedules/sgd_step_cpu_finetune.py',
    '../default_runtime.py',
]

# the frozen blocks' output for an input is the same in every run (ImageNet
# weights, frozen BatchNorm): computed once, shared by all runs, for
# validation / test images and for the two (flipped or not) training inputs
# of each image (EfficientNetLite's feature_cache and cache_train; the
# folder is relative to where the tools are run). channels_last: the trained
# blocks' depthwise convolutions run several times faster on a CPU in NHWC
# (same function; docs/speed.md).
model = dict(
    head=dict(num_classes=20),
    backbone=dict(feature_cache='work_dirs/feature_cache', cache_train=True,
                  channels_last=True))

# Budget (docs/mlt_fd.md, "The budget"): batch 16 (lr scaled from the
# total batch of 64: 0.4 -> 0.1), 36 epochs, lr x 0.1 for the last 9
# (2592 iterations), validated once at the end (the tuning tool asks for
# more). In the pilot runs validation mAP still rose after 12 and 24
# epochs, and was flat at 36 for ERM; batch 8 at equal steps did worse.
train_dataloader = dict(batch_size=16)
train_cfg = dict(max_epochs=36, val_interval=36)
param_scheduler = dict(step_size=27)
