_base_ = './dab_effl0_fd_mlt.py'

# DAB sensitivity: soft modulation scale M = 2 (default 1)
model = dict(head=dict(loss=dict(modulation_scale=2.0)))
