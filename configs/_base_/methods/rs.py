# RS (class-aware re-sampling, Shen et al., ECCV 2016), defined once: plain
# BCE with ClassAwareSampler. Every config in configs/rs/ takes both from here.
rs = dict(
    loss=dict(type='DBLoss'),
    sampler=dict(type='ClassAwareSampler'))
