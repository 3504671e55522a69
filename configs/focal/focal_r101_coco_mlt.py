_base_ = ['../_base_/setups/r101_coco_mlt.py', '../_base_/methods/focal.py']

model = dict(head=dict(loss=_base_.focal.loss))
