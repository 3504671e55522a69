_base_ = [
    './_base_/models/efficientnet-lite0_multilabel.py',
    './_base_/datasets/fd_mlt_effl_128.py',
    './_base_/schedules/sgd_step_cpu_finetune.py',
    './_base_/default_runtime.py',
]

# model settings
# RW: BCE, class weights ~ n_i^(-1/2), normalised in each mini-batch
model = dict(
    head=dict(
        num_classes=20,
        loss=dict(type='DBLoss', reweight_func='sqrt_inverse')))
