_base_ = './dab_r18w32_fd_mlt.py'

# DAB ablation: literal Eq. 14 reading, p^ = sigmoid(M * sigmoid(z))
model = dict(head=dict(loss=dict(modulation='probability')))
