_base_ = [
    '../_base_/models/efficientnet-lite0_multilabel.py',
    '../_base_/datasets/fd_mlt_effl_128.py',
    '../_base_/schedules/sgd_step_cpu_finetune.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/focal.py',
]

# FD-MLT, ImageNet-pretrained EfficientNet-Lite0
model = dict(head=dict(num_classes=20, loss=_base_.focal.loss))
