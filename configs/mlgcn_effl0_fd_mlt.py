_base_ = [
    './_base_/models/efficientnet-lite0_multilabel.py',
    './_base_/datasets/fd_mlt_effl_128.py',
    './_base_/schedules/sgd_step_cpu_finetune.py',
    './_base_/default_runtime.py',
]

# model settings
# ML-GCN: GCN-generated classifiers over label embeddings (one-hot here: no
# word vectors exist for these classes) and the co-occurrence graph of the training labels (t 0.4, p 0.25), on the
# max-pooled backbone map (so no pooling neck); BCE.
# Graph, initialisation and clipping as in ML-GCN's released code
# (docs/method.md)
model = dict(
    neck=None,
    head=dict(
        type='MLGCNHead',
        num_classes=20,
        embedding=None,  # no word vectors for these classes: one-hot
        pooling='max',
        threshold=0.4,
        reweight_p=0.25,
        loss=dict(type='DBLoss')))

# optimizer
# gradients clipped to norm 10, as ML-GCN's released training code does; the
# GCN at the backbone's lr (x1, not the linear heads' x10: at x10 the loss
# rose to 2.3 by iteration 50 even with clipping; docs/fd_mlt.md)
optim_wrapper = dict(
    clip_grad=dict(max_norm=10.0),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=1.0)}))
