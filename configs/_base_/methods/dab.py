# DAB (Zhu & Xiong 2022), defined once: every config in configs/dab/ takes its
# loss and sampler from here and sets only what its dataset changes (the
# number of classes, epsilon). DABLoss's defaults are the paper's (gamma+ 0,
# gamma- 3, M 1, sigmoid re-sampling weight with mu 5; docs/method.md); the
# phi schedule comes from PhiScheduleHook in default_runtime.py.
dab = dict(
    loss=dict(type='DABLoss'),
    # class-aware re-sampling (docs/method.md §5)
    sampler=dict(type='ClassAwareSampler'))
