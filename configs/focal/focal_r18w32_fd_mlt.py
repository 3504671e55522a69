_base_ = ['../_base_/setups/r18w32_fd_mlt.py', '../_base_/methods/focal.py']

model = dict(head=dict(loss=_base_.focal.loss))
