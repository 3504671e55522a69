# Focal loss (Lin et al., ICCV 2017), defined once: gamma 2, uniform sampling.
# Every config in configs/focal/ takes its loss from here.
focal = dict(loss=dict(type='DBLoss', gamma=2.0))
