"""Helpers shared by the multi-label losses of dab_mm."""
import math
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


class FiniteLogitCheck:
    """Raise :class:`FloatingPointError` when a batch of logits (or the loss
    computed from them) is not finite, without a host–device
    synchronisation per step.

    The test is one reduction: the sum of the logits is finite unless some
    logit is NaN or ±inf (or the sum overflows; on the CPU the float32 sum
    is then confirmed element-wise, on a GPU it is taken in float64, which
    cannot overflow). A loss whose value is non-finite whenever a logit is
    (:class:`.DABLoss`) passes its value instead, which saves the pass over
    the logits. On the CPU the flag is read at once. On a CUDA device it is
    copied to pinned host memory asynchronously and read, with an event,
    only once the device has finished it: a diverged step raises at a later
    call (usually the next one) instead of stalling every step.

    Args:
        name (str): The loss's name, for the message.
    """

    SLOTS = 64

    def __init__(self, name: str):
        self.name = name
        self._pending = []
        self._host = None
        self._next = 0

    def __call__(self, cls_score: torch.Tensor,
                 value: Optional[torch.Tensor] = None) -> None:
        z = cls_score.detach()
        probe = z if value is None else value.detach()
        if not z.is_cuda:
            total = probe if probe.dim() == 0 else probe.sum()
            if not math.isfinite(total.item()):
                bad = int((~torch.isfinite(z)).sum())
                if bad:
                    self._raise(tuple(z.shape), bad)
                if value is not None:
                    raise FloatingPointError(
                        f'{self.name}: the loss is {total.item()} although '
                        f'the logits are finite (largest |logit| '
                        f'{z.abs().max().item():.3g}): training has '
                        'diverged. Lower the learning rate or add gradient '
                        'clipping (optim_wrapper.clip_grad).')
            return
        flag = torch.isfinite(probe.sum(dtype=torch.float64))
        self.poll()
        if len(self._pending) >= self.SLOTS:
            return  # the device is far behind: check again once it catches up
        if self._host is None:
            self._host = torch.ones(self.SLOTS, dtype=torch.bool,
                                    pin_memory=True)
        slot = self._next
        self._next = (self._next + 1) % self.SLOTS
        self._host[slot].copy_(flag, non_blocking=True)
        event = torch.cuda.Event()
        event.record()
        self._pending.append((slot, event, tuple(cls_score.shape)))

    def poll(self) -> None:
        """Read the flags the device has finished; raise on a bad one."""
        while self._pending and self._pending[0][1].query():
            slot, _, shape = self._pending.pop(0)
            if not bool(self._host[slot]):
                self._pending.clear()
                self._raise(shape, None)

    def _raise(self, shape, bad) -> None:
        what = (f'{bad} non-finite logit(s) (NaN or inf)' if bad is not None
                else 'non-finite logits or loss (NaN or inf; found '
                'asynchronously, in an earlier step of this run)')
        raise FloatingPointError(
            f'{self.name} got {what} in a batch of shape {shape}: training '
            'has diverged before the loss. Lower the learning rate, add '
            'gradient clipping (optim_wrapper.clip_grad), or check the input '
            'data.')
