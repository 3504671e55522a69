# ERM, defined once: plain BCE (DBLoss without re-weighting or focusing) and
# the datasets' uniform sampling. Every config in configs/erm/ takes its loss
# from here.
erm = dict(loss=dict(type='DBLoss'))
