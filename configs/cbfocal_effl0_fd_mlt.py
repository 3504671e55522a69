_base_ = [
    './_base_/models/efficientnet-lite0_multilabel.py',
    './_base_/datasets/fd_mlt_effl_128.py',
    './_base_/schedules/sgd_step_cpu_finetune.py',
    './_base_/default_runtime.py',
]

# model settings
# CB-Focal: class-balanced weight (beta 0.9, image weight = mean weight of
# its labels), focal gamma 2
model = dict(
    head=dict(
        num_classes=20,
        loss=dict(
            type='DBLoss',
            reweight_func='CB',
            cb_beta=0.9,
            cb_mode='average_w',
            gamma=2.0)))
