_base_ = [
    './_base_/models/efficientnet-lite0_multilabel.py',
    './_base_/datasets/fd_mlt_effl_128.py',
    './_base_/schedules/sgd_step_cpu_finetune.py',
    './_base_/default_runtime.py',
]

# model settings
# DAB: re-sampling weight + phi schedule + asymmetric soft focusing
model = dict(
    head=dict(num_classes=20, loss=dict(type='DABLoss', epsilon=0.3)))

# dataset settings
# ... with class-aware re-sampling, as many samples per epoch as the
# training set has images (the same compute as uniform sampling)
train_dataloader = dict(
    sampler=dict(type='ClassAwareSampler', num_samples='dataset'))
