_base_ = [
    '../_base_/models/efficientnet-lite0_multilabel.py',
    '../_base_/datasets/fd_mlt_effl_128.py',
    '../_base_/schedules/sgd_step_cpu_finetune.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/rs.py',
]

# FD-MLT, ImageNet-pretrained EfficientNet-Lite0
model = dict(head=dict(num_classes=20, loss=_base_.rs.loss))

# class-aware sampling with as many samples per epoch as the training set
# has images (the same compute as uniform sampling)
train_dataloader = dict(
    sampler=dict(_base_.rs.sampler, num_samples='dataset'))
