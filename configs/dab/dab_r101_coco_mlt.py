_base_ = ['../_base_/setups/r101_coco_mlt.py', '../_base_/methods/dab.py']

model = dict(head=dict(loss=dict(_base_.dab.loss, epsilon=0.2)))

train_dataloader = dict(sampler=_base_.dab.sampler)
