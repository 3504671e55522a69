_base_ = './dab_effl0_fd_mlt.py'

# DAB sensitivity: re-sampling weight threshold epsilon = 0.1 (default 0.3 on FD-MLT)
model = dict(head=dict(loss=dict(epsilon=0.1)))
