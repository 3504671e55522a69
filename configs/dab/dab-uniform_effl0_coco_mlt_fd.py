_base_ = './dab_effl0_coco_mlt_fd.py'

# DAB ablation: uniform sampling instead of class-aware
train_dataloader = dict(
    sampler=dict(_delete_=True, type='DefaultSampler', shuffle=True))
