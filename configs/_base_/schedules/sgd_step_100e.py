# optimizer
# SGD lr 0.01 for a total batch of 64 (8 GPUs x 8 images), method.md §5
optim_wrapper = dict(
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4))

# learning policy
# lr x 0.1 every 40 epochs
param_scheduler = dict(type='StepLR', by_epoch=True, step_size=40, gamma=0.1)

# train, val, test setting
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=5)
val_cfg = dict()
test_cfg = dict()

# The lr above is for a total batch of 64; other GPU counts / batch sizes
# scale it linearly (set enable=False to keep lr as written).
auto_scale_lr = dict(base_batch_size=64, enable=True)
