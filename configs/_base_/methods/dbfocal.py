# DB-Focal (Wu et al., ECCV 2020), defined once, with its VOC-MLT values:
# re-balanced weight (alpha 0.1, beta 10, mu 0.3), negative-tolerant
# regularisation (kappa 0.05, lambda 5.0), focal gamma 2, x2 balance factor,
# class-aware sampling. COCO-MLT configs change mu to 0.2 and lambda to 2.0,
# as the authors do. Every config in configs/dbfocal/ takes both from here.
dbfocal = dict(
    loss=dict(
        type='DBLoss',
        reweight_func='rebalance',
        alpha=0.1,
        beta=10.0,
        mu=0.3,
        kappa=0.05,
        neg_scale=5.0,
        gamma=2.0,
        loss_weight=2.0),
    sampler=dict(type='ClassAwareSampler'))
