_base_ = [
    './_base_/models/resnet101_multilabel.py',
    './_base_/datasets/coco_mlt_448.py',
    './_base_/schedules/sgd_step_100e.py',
    './_base_/default_runtime.py',
]

# model settings
# RS: plain BCE
model = dict(head=dict(num_classes=80, loss=dict(type='DBLoss')))

# dataset settings
# ... with class-aware re-sampling
train_dataloader = dict(sampler=dict(type='ClassAwareSampler'))
