_base_ = ['../_base_/setups/r101_voc_mlt.py', '../_base_/methods/dbfocal.py']

model = dict(head=dict(loss=_base_.dbfocal.loss))

train_dataloader = dict(sampler=_base_.dbfocal.sampler)
