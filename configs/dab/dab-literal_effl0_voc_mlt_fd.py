_base_ = './dab_effl0_voc_mlt_fd.py'

# DAB ablation: literal Eq. 14 reading, p^ = sigmoid(M * sigmoid(z))
model = dict(head=dict(loss=dict(modulation='probability')))
