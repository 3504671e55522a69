_base_ = [
    './_base_/models/efficientnet-lite0_multilabel.py',
    './_base_/datasets/fd_mlt_effl_128.py',
    './_base_/schedules/sgd_step_cpu_finetune.py',
    './_base_/default_runtime.py',
]

# model settings
# DB-Focal: re-balanced weight (alpha 0.1, beta 10, mu 0.3), negative-tolerant
# regularisation (kappa 0.05, lambda 5.0), focal gamma 2, x2 balance factor
model = dict(
    head=dict(
        num_classes=20,
        loss=dict(
            type='DBLoss',
            reweight_func='rebalance',
            alpha=0.1,
            beta=10.0,
            mu=0.3,
            kappa=0.05,
            neg_scale=5.0,
            gamma=2.0,
            loss_weight=2.0)))

# dataset settings
# ... with class-aware re-sampling, as many samples per epoch as the
# training set has images (the same compute as uniform sampling)
train_dataloader = dict(
    sampler=dict(type='ClassAwareSampler', num_samples='dataset'))
