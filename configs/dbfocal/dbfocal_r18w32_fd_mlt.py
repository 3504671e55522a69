_base_ = [
    '../_base_/models/resnet18-w32_multilabel.py',
    '../_base_/datasets/fd_mlt_64.py',
    '../_base_/schedules/sgd_step_cpu.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/dbfocal.py',
]

# FD-MLT, from scratch
model = dict(head=dict(num_classes=20, loss=_base_.dbfocal.loss))

# class-aware sampling with as many samples per epoch as the training set
# has images (the same compute as uniform sampling)
train_dataloader = dict(
    sampler=dict(_base_.dbfocal.sampler, num_samples='dataset'))
