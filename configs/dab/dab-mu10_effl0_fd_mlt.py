_base_ = './dab_effl0_fd_mlt.py'

# DAB sensitivity: re-sampling weight smoothing mu = 10 (default 5)
model = dict(head=dict(loss=dict(mu=10.0)))
