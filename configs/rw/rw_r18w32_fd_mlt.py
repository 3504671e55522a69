_base_ = [
    '../_base_/models/resnet18-w32_multilabel.py',
    '../_base_/datasets/fd_mlt_64.py',
    '../_base_/schedules/sgd_step_cpu.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/rw.py',
]

# FD-MLT, from scratch
model = dict(head=dict(num_classes=20, loss=_base_.rw.loss))
