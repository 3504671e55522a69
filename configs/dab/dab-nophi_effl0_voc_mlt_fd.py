_base_ = './dab_effl0_voc_mlt_fd.py'

# DAB ablation: no phi schedule (phi = 0, fully re-balanced from the start):
# the runtime's hooks without PhiScheduleHook
custom_hooks = [
    dict(type='LabelStatsHook'),
    dict(type='SeededAugmentationHook'),
]
