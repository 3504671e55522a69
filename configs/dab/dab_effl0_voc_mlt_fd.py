_base_ = ['../_base_/setups/effl0_voc_mlt_fd.py', '../_base_/methods/dab.py']

model = dict(head=dict(loss=dict(_base_.dab.loss, epsilon=0.3)))

# class-aware, as many samples per epoch as the training set has images
train_dataloader = dict(
    sampler=dict(_base_.dab.sampler, num_samples='dataset'))
