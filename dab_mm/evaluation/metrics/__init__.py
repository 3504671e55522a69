from .long_tail_map import LongTailMAP

__all__ = ['LongTailMAP']
