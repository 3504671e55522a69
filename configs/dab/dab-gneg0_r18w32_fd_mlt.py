_base_ = './dab_r18w32_fd_mlt.py'

# DAB ablation: no negative focusing, gamma- = 0 (default 3)
model = dict(head=dict(loss=dict(gamma_neg=0.0)))
