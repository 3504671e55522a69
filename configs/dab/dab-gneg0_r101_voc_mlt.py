_base_ = './dab_r101_voc_mlt.py'

# DAB with the setting recommended by the FD-MLT sensitivity study: no
# negative focusing, gamma- = 0 (the paper's 3 cost mAP on FD-MLT, with a
# pretrained and a from-scratch backbone; configs/dab/README.md). Not yet
# measured on VOC-MLT.
model = dict(head=dict(loss=dict(gamma_neg=0.0)))
