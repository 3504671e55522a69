_base_ = [
    './_base_/models/efficientnet-lite0_multilabel.py',
    './_base_/datasets/fd_mlt_effl_128.py',
    './_base_/schedules/sgd_step_cpu_finetune.py',
    './_base_/default_runtime.py',
]

# model settings
# ASL (mmpretrain AsymmetricLoss): gamma- 4, gamma+ 0, clip m 0.05.
# loss_weight 1/C: mmpretrain sums over classes and averages over images, so
# this keeps the mean over B*C that every other config uses. Float32Loss: in
# float32 under --amp (in float16 its eps = 1e-8 clamp underflows to log(0)).
model = dict(
    head=dict(
        num_classes=20,
        loss=dict(
            type='Float32Loss',
            loss=dict(
                type='AsymmetricLoss',
                gamma_pos=0.0,
                gamma_neg=4.0,
                clip=0.05,
                loss_weight=1.0 / 20))))
