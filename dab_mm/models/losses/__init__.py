from .dab_loss import DABLoss, dab_loss, rebalance_weight
from .db_loss import (DBLoss, class_balanced_weight, db_loss,
                      inverse_frequency_weight)
from .float32_loss import Float32Loss

__all__ = [
    'DABLoss', 'DBLoss', 'Float32Loss', 'class_balanced_weight', 'dab_loss',
    'db_loss', 'inverse_frequency_weight', 'rebalance_weight'
]
