_base_ = ['../_base_/setups/effl0_voc_mlt_fd.py', '../_base_/methods/focal.py']

model = dict(head=dict(loss=_base_.focal.loss))
