from .mlgcn_head import MLGCNHead, mlgcn_adjacency

__all__ = ['MLGCNHead', 'mlgcn_adjacency']
