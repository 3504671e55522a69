# ML-GCN (Chen et al., CVPR 2019), defined once: GCN-generated classifiers over
# label embeddings and the co-occurrence graph of the training labels (t 0.4,
# p 0.25), on the max-pooled backbone map (so the configs drop the pooling
# neck); BCE. Graph, initialisation and gradient clipping (norm 10) as in
# ML-GCN's released code (docs/method.md). Each config sets the embedding:
# 'voc' / 'coco' (GloVe vectors shipped with dab_mm) or None (one-hot, for
# classes without word vectors). Every config in configs/mlgcn/ takes the head
# and the clipping from here.
mlgcn = dict(
    head=dict(
        type='MLGCNHead',
        pooling='max',
        threshold=0.4,
        reweight_p=0.25,
        loss=dict(type='DBLoss')),
    clip_grad=dict(max_norm=10.0))
