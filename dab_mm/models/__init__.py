from .backbones import EfficientNetLite
from .heads import MLGCNHead, mlgcn_adjacency
from .label_embeddings import load_label_embedding
from .losses import (DABLoss, DBLoss, class_balanced_weight, dab_loss,
                     db_loss, inverse_frequency_weight, rebalance_weight)

__all__ = [
    'DABLoss', 'DBLoss', 'EfficientNetLite', 'MLGCNHead', 'class_balanced_weight', 'dab_loss',
    'db_loss', 'inverse_frequency_weight', 'load_label_embedding',
    'mlgcn_adjacency', 'rebalance_weight'
]
