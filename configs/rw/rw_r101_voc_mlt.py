_base_ = ['../_base_/setups/r101_voc_mlt.py', '../_base_/methods/rw.py']

model = dict(head=dict(loss=_base_.rw.loss))
