_base_ = [
    '../_base_/models/resnet18-w32_multilabel.py',
    '../_base_/datasets/fd_mlt_64.py',
    '../_base_/schedules/sgd_step_cpu.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/mlgcn.py',
]

# FD-MLT, from scratch
model = dict(
    neck=None,
    head=dict(
        _base_.mlgcn.head,
        num_classes=20,
        embedding=None))  # one-hot: no word vectors for these classes

optim_wrapper = dict(clip_grad=_base_.mlgcn.clip_grad)
