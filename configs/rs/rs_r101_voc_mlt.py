_base_ = ['../_base_/setups/r101_voc_mlt.py', '../_base_/methods/rs.py']

model = dict(head=dict(loss=_base_.rs.loss))

train_dataloader = dict(sampler=_base_.rs.sampler)
