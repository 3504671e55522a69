# The CPU-sized schedule: sgd_step_100e.py shortened, with the larger lr a
# from-scratch model needs (still linearly scaled from a total batch of 64).
_base_ = './sgd_step_100e.py'

# optimizer
optim_wrapper = dict(optimizer=dict(lr=0.4))

# learning policy
# lr x 0.1 for the last quarter of training
param_scheduler = dict(step_size=6)

# train, val, test setting
train_cfg = dict(max_epochs=8, val_interval=8)
