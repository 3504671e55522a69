_base_ = [
    './_base_/models/resnet18-w32_multilabel.py',
    './_base_/datasets/fd_mlt_64.py',
    './_base_/schedules/sgd_step_cpu.py',
    './_base_/default_runtime.py',
]

# model settings
# DAB variant: re-sampling weight slope mu = 10 (DB's value) instead of 5
model = dict(
    head=dict(
        num_classes=20,
        loss=dict(type='DABLoss', epsilon=0.3, mu=10.0)))

# dataset settings
# ... with class-aware re-sampling, as many samples per epoch as the
# training set has images (the same compute as uniform sampling)
train_dataloader = dict(
    sampler=dict(type='ClassAwareSampler', num_samples='dataset'))
