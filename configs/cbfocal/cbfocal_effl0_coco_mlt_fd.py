_base_ = ['../_base_/setups/effl0_coco_mlt_fd.py', '../_base_/methods/cbfocal.py']

model = dict(head=dict(loss=_base_.cbfocal.loss))
