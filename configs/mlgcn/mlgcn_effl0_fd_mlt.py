_base_ = [
    '../_base_/models/efficientnet-lite0_multilabel.py',
    '../_base_/datasets/fd_mlt_effl_128.py',
    '../_base_/schedules/sgd_step_cpu_finetune.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/mlgcn.py',
]

# FD-MLT, ImageNet-pretrained EfficientNet-Lite0
model = dict(
    neck=None,
    head=dict(
        _base_.mlgcn.head,
        num_classes=20,
        embedding=None))  # one-hot: no word vectors for these classes

# the GCN at the backbone's lr (x1, not the linear heads' x10: at x10 the
# loss rose to 2.3 by iteration 50 even with clipping; docs/fd_mlt.md)
optim_wrapper = dict(
    clip_grad=_base_.mlgcn.clip_grad,
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=1.0)}))
