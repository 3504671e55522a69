_base_ = ['../_base_/setups/r101_voc_mlt.py', '../_base_/methods/mlgcn.py']

model = dict(neck=None, head=dict(_base_.mlgcn.head, embedding='voc'))

optim_wrapper = dict(clip_grad=_base_.mlgcn.clip_grad)
