# FD-MLT from scratch on a CPU: half-width ResNet-18 at 64 px, 8 epochs.
_base_ = [
    '../models/resnet18-w32_multilabel.py',
    '../datasets/fd_mlt_64.py',
    '../schedules/sgd_step_cpu.py',
    '../default_runtime.py',
]
model = dict(head=dict(num_classes=20))
