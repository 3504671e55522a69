_base_ = ['../_base_/setups/r18w32_fd_mlt.py', '../_base_/methods/mlgcn.py']

# one-hot label embeddings: no word vectors exist for these classes
model = dict(neck=None, head=dict(_base_.mlgcn.head, embedding=None))

optim_wrapper = dict(clip_grad=_base_.mlgcn.clip_grad)
