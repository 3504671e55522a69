# ASL (Ridnik et al., ICCV 2021; mmpretrain's AsymmetricLoss), defined once:
# gamma- 4, gamma+ 0, clip m 0.05. mmpretrain sums it over classes and
# averages over images, so each config sets loss_weight = 1/C to keep the mean
# over B*C that every other config uses. Float32Loss computes it in float32
# under --amp (in float16 its eps = 1e-8 clamp underflows to log(0)). Every
# config in configs/asl/ takes its loss from here.
asl = dict(
    loss=dict(
        type='Float32Loss',
        loss=dict(
            type='AsymmetricLoss', gamma_pos=0.0, gamma_neg=4.0, clip=0.05)))
