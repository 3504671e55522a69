_base_ = ['../_base_/setups/r101_coco_mlt.py', '../_base_/methods/mlgcn.py']

model = dict(neck=None, head=dict(_base_.mlgcn.head, embedding='coco'))

optim_wrapper = dict(clip_grad=_base_.mlgcn.clip_grad)
