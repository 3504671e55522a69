_base_ = [
    '../_base_/models/efficientnet-lite0_multilabel.py',
    '../_base_/datasets/fd_mlt_effl_128.py',
    '../_base_/schedules/sgd_step_cpu_finetune.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/asl.py',
]

# FD-MLT, ImageNet-pretrained EfficientNet-Lite0
# loss_weight 1/C: the mean over B*C (see the method fragment)
model = dict(
    head=dict(
        num_classes=20,
        loss=dict(
            _base_.asl.loss,
            loss=dict(_base_.asl.loss.loss, loss_weight=1.0 / 20))))
