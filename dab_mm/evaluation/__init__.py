from .metrics import LongTailMAP

__all__ = ['LongTailMAP']
