from .losses import DABLoss, dab_loss, rebalance_weight

__all__ = ['DABLoss', 'dab_loss', 'rebalance_weight']
