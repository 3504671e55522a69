# RW (re-weighting), defined once: BCE with class weights proportional to
# n_i^(-1/2), normalised in each mini-batch. Every config in configs/rw/ takes
# its loss from here.
rw = dict(loss=dict(type='DBLoss', reweight_func='sqrt_inverse'))
