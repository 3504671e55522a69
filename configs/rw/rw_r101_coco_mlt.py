_base_ = ['../_base_/setups/r101_coco_mlt.py', '../_base_/methods/rw.py']

model = dict(head=dict(loss=_base_.rw.loss))
