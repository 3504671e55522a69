_base_ = 'mmpretrain::_base_/default_runtime.py'

# registers DABLoss, VOCMLT/COCOMLT, ClassAwareSampler, LongTailMAP and hooks
custom_imports = dict(imports=['dab_mm'], allow_failed_imports=False)

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=50),
    checkpoint=dict(
        type='CheckpointHook',
        interval=10,
        max_keep_ckpts=3,
        save_best='mlt/mAP',
        rule='greater'),
)

custom_hooks = [
    # label counts of the training set as loaded, for losses, heads, metrics
    dict(type='LabelStatsHook'),
    # phi = 1 - (epoch / max_epochs)^2 on every DABLoss, logged as train/phi
    dict(type='PhiScheduleHook'),
    # augmentation randomness from (seed, epoch, sample): the same model
    # whatever num_workers, and after a kill and --resume
    # (docs/reliability.md)
    dict(type='SeededAugmentationHook'),
]
