# CB-Focal (Cui et al., CVPR 2019), defined once: class-balanced weight
# (beta 0.9, image weight = mean weight of its labels), focal gamma 2. Every
# config in configs/cbfocal/ takes its loss from here.
cbfocal = dict(
    loss=dict(
        type='DBLoss',
        reweight_func='CB',
        cb_beta=0.9,
        cb_mode='average_w',
        gamma=2.0))
