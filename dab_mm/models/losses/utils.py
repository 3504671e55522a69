"""Helpers shared by the multi-label losses of dab_mm."""
from typing import Optional

import torch


def check_multilabel_input(name: str, cls_score: torch.Tensor,
                           label: torch.Tensor) -> None:
    """Logits and multi-hot labels must both be (B, C)."""
    if cls_score.dim() != 2 or cls_score.shape != label.shape:
        raise ValueError(
            f'{name} expects logits and multi-hot labels of the same shape '
            f'(B, C); got logits {tuple(cls_score.shape)} and labels '
            f'{tuple(label.shape)}.')


def reduce_elementwise(loss: torch.Tensor, reduction: str = 'mean',
                       avg_factor: Optional[float] = None) -> torch.Tensor:
    """Reduce a (B, C) element loss.

    ``'mean'`` averages over all B·C elements; ``avg_factor`` counts SAMPLES
    (what mmpretrain's multi-label heads pass), so the sum is divided by
    ``avg_factor * C`` and the head gives the same value as a plain mean.
    """
    if reduction == 'none':
        return loss
    if reduction == 'sum':
        return loss.sum()
    if reduction != 'mean':
        raise ValueError(f"Unknown reduction {reduction!r}; use 'none', "
                         "'mean' or 'sum'.")
    if avg_factor is None:
        return loss.mean()
    return loss.sum() / (float(avg_factor) * loss.size(-1))
