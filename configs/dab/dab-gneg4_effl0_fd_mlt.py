_base_ = './dab_effl0_fd_mlt.py'

# DAB sensitivity: negative focusing gamma- = 4 (default 3)
model = dict(head=dict(loss=dict(gamma_neg=4.0)))
