"""Run any loss in float32 under mixed precision."""
import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from .fused import no_autocast


@MODELS.register_module()
class Float32Loss(nn.Module):
    """Compute the wrapped loss on float32 logits with autocast off.

    Under ``--amp`` a head's logits are float16 on a GPU, and a loss that
    computes in the logits' dtype can overflow: mmpretrain's
    ``AsymmetricLoss`` clamps probabilities at ``eps = 1e-8``, which is 0
    in float16, so a confident mistake gives ``log(0) = -inf`` and an
    infinite loss. :class:`.DABLoss` and :class:`.DBLoss` already compute in
    float32; this wrapper gives any other loss the same treatment. In
    float32 training it changes nothing.

    Args:
        loss (dict): Config of the wrapped loss, e.g.
            ``dict(type='AsymmetricLoss', gamma_neg=4.0, clip=0.05)``.
    """

    def __init__(self, loss: dict):
        super().__init__()
        self.loss = MODELS.build(loss)

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor, *args,
                **kwargs) -> torch.Tensor:
        if label.is_floating_point():
            label = label.float()
        with no_autocast(cls_score.device.type):
            return self.loss(cls_score.float(), label, *args, **kwargs)
