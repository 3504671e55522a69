"""Fused element losses: value and closed-form gradient in one pass.

The DAB and DB element losses are short chains of log-sigmoid, sigmoid and
power terms. Written with autograd, each term is a separate pass over the
(B, C) logits forwards and more passes backwards, and torch's CPU
``log1p``/``softplus``/``logsigmoid`` kernels are scalar (about 15× slower
per element than its vectorised ``log``/``exp``/``sigmoid``). Here the
forward computes the loss and its derivative with respect to the logits
together, from vectorised kernels only and with as few kernel calls as the
formula allows (at small C the fixed cost per call dominates), and the
backward is a single multiplication. Values and gradients equal the autograd
formulas to float32 rounding (tested against a float64 reference). No
second-order gradients (``create_graph``).
"""
import contextlib
from typing import Callable, Optional, Tuple

import torch


def no_autocast(device_type: str):
    """A context that turns autocast off, or does nothing when it is off
    (entering ``torch.autocast`` costs microseconds per call)."""
    if torch.is_autocast_enabled(device_type):
        return torch.autocast(device_type=device_type, enabled=False)
    return contextlib.nullcontext()


_CONSTANTS = {}


def const(value: float, like: torch.Tensor) -> torch.Tensor:
    """``value`` as a cached 0-d float32 tensor on ``like``'s device.

    An elementwise op with a Python float first converts the float to a
    tensor (about 1.5 µs on a CPU, as much as the op itself on small
    tensors); a cached 0-d tensor skips that. Few distinct values occur (the
    loss's constants and one reduction scale per batch size).
    """
    key = value if like.is_cpu else (value, like.device)
    t = _CONSTANTS.get(key)
    if t is None:
        if len(_CONSTANTS) > 1024:
            _CONSTANTS.clear()
        t = _CONSTANTS[key] = torch.tensor(float(value), device=like.device)
    return t


class _ElementLoss(torch.autograd.Function):
    """Apply a loss whose value and d(value)/d(logits) are computed together.

    ``compute(z)`` returns ``(value, grad)`` for the float32 logits ``z``;
    ``value`` is the (reduced) loss and ``grad`` its gradient with respect to
    ``z``, shape (B, C). The backward multiplies ``grad`` by the incoming
    gradient (a scalar for reduced losses, (B, C) for ``'none'``).
    """

    @staticmethod
    def forward(ctx, cls_score, compute):
        # (autograd runs this with gradients off)
        z = cls_score if cls_score.dtype == torch.float32 else \
            cls_score.float()
        value, grad = compute(z)
        ctx.save_for_backward(grad)
        ctx.score_dtype = cls_score.dtype
        return value

    @staticmethod
    def backward(ctx, grad_output):
        (grad, ) = ctx.saved_tensors
        grad = grad * grad_output
        if ctx.score_dtype != grad.dtype:
            grad = grad.to(ctx.score_dtype)
        return grad, None


def reduction_scale(loss_shape, reduction: str, avg_factor: Optional[float],
                    loss_weight: float = 1.0) -> float:
    """The factor S such that the loss is ``S · Σ elements`` (``'mean'``,
    ``'sum'``) or ``S · elements`` (``'none'``), times ``loss_weight``.

    ``'mean'`` averages over all B·C elements; ``avg_factor`` counts SAMPLES
    (what mmpretrain's multi-label heads pass), so the sum is divided by
    ``avg_factor * C`` and the head gives the same value as a plain mean.
    """
    if reduction in ('none', 'sum'):
        return float(loss_weight)
    if reduction != 'mean':
        raise ValueError(f"Unknown reduction {reduction!r}; use 'none', "
                         "'mean' or 'sum'.")
    n = loss_shape[0] * loss_shape[1] if avg_factor is None else \
        float(avg_factor) * loss_shape[-1]
    return float(loss_weight) / float(n)


def finish(loss: torch.Tensor, grad: torch.Tensor,
           w: Optional[torch.Tensor], scale: float, reduction: str,
           weight: Optional[torch.Tensor] = None):
    """``(value, grad)`` of the element loss times ``w`` (which already
    includes the reduction scale) or, without ``w``, times ``scale``; a
    user's element ``weight`` (no gradient) multiplies both."""
    if weight is not None:
        extra = weight if weight.dtype == torch.float32 else weight.float()
        w = extra * const(scale, extra) if w is None else w.mul_(extra)
    if w is not None:
        loss, grad = loss.mul_(w), grad.mul_(w)
        return (loss if reduction == 'none' else loss.sum()), grad
    if scale != 1.0:
        scale = const(scale, loss)
        grad = grad.mul_(scale)
        if reduction == 'none':
            return loss.mul_(scale), grad
        return loss.sum().mul_(scale), grad
    return (loss if reduction == 'none' else loss.sum()), grad


_ZEROS = {}


def binary_labels(label: torch.Tensor) -> torch.Tensor:
    """``(label > 0)`` as float32, in one kernel for float labels."""
    if label.dtype == torch.float32:
        key = label.device
        zero = _ZEROS.get(key)
        if zero is None:
            zero = _ZEROS[key] = torch.zeros((), device=label.device)
        return torch.heaviside(label, zero)
    return (label > 0).float()


def rebalanced_affine(y: torch.Tensor, inv_count: torch.Tensor, beta: float,
                      mu: float, epsilon: float, scale: float,
                      shift: float) -> torch.Tensor:
    """``scale · ŝ + shift`` for the re-balanced weight ŝ, when every class
    has images (``inv_count = 1 / n`` finite) and ``mu > 0``.

    ``ŝ = beta + σ(mu · (s - epsilon))`` with ``s = (1/n_i) / Σ_j y_j / n_j``;
    an image without positives has ``Σ = 0``, so ``s = +inf`` and
    ``σ = 1``, the documented limit.
    """
    instance_prob = torch.mv(y, inv_count)
    s = inv_count / instance_prob.unsqueeze(1)
    # mu * (s - epsilon), then scale * sigmoid + (scale * beta + shift)
    s = torch.addcmul(const(-mu * epsilon, y), s, const(mu, y)).sigmoid_()
    if scale == 1.0:
        return s.add_(const(beta + shift, y))
    return torch.add(const(scale * beta + shift, y), s, alpha=scale)


def apply_element_loss(cls_score: torch.Tensor,
                       compute: Callable) -> torch.Tensor:
    """The loss ``compute(z)[0]``, with gradient ``compute(z)[1]`` when
    ``cls_score`` requires one (no autograd graph is built otherwise)."""
    if cls_score.requires_grad and torch.is_grad_enabled():
        return _ElementLoss.apply(cls_score, compute)
    with torch.no_grad():
        return compute(cls_score.detach().float())[0]


def log1p_exp_neg_abs(p: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """``L = log(1 + exp(-|z|))`` from ``p = σ(z)`` and ``q = σ(-z)``.

    ``t = min(p, q) = σ(-|z|)`` is accurate however small, and
    ``L = -log(1 - t)``. torch's ``log1p`` is a scalar kernel on CPUs (about
    15× slower than the vectorised ``log``), so it is computed with ``log``
    and the rounding undone: with ``u = fl(1 - t)``, the error
    ``(1 - t) - u = (u - 1) + t`` is exact in floating point and
    ``L = -log(u) + ((u - 1) + t) / u`` to float32 precision, also where
    ``t < 2^-24`` and ``u = 1`` (then ``L = t``).
    """
    one = const(1.0, p)
    t = torch.minimum(p, q)
    u = one - t
    return (u - one).add_(t).div_(u).sub_(torch.log(u))


def softplus_pair(z: torch.Tensor, p: torch.Tensor,
                  q: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
    """``(softplus(-z), softplus(z))`` = ``(-log σ(z), -log σ(-z))``, given
    ``p = σ(z)`` and ``q = σ(-z)``."""
    L = log1p_exp_neg_abs(p, q)
    return L - z.clamp(max=0), z.clamp(min=0).add_(L)


def focal(sp: torch.Tensor, p: torch.Tensor, q: torch.Tensor,
          gamma: float) -> Tuple[torch.Tensor, torch.Tensor]:
    """``l = p^γ · sp`` and ``dl/ds = p^γ · (p + γ · sp · q)`` for
    ``sp = softplus(s)``, ``p = σ(s)``, ``q = σ(-s)``; with γ = 0,
    ``(sp, p)``. Inputs are not modified."""
    if gamma == 0:
        return sp, p
    pg = p * p if gamma == 2 else p.pow(gamma)
    grad = torch.addcmul(p, q, sp, value=gamma).mul_(pg)
    return pg.mul_(sp), grad


def dab_element_terms(z: torch.Tensor, y: torch.Tensor, gamma_pos: float,
                      gamma_neg: float, modulation_scale: float,
                      modulation: str):
    """DAB's unweighted element loss and its gradient with respect to z.

    Positives: ``l = σ(-z)^γ⁺ · softplus(-z)``,
    ``dl/dz = -σ(-z)^γ⁺ · (σ(-z) + γ⁺ · softplus(-z) · σ(z))``.
    Negatives: ``l = σ(m)^γ⁻ · softplus(m)`` with ``m = M z`` (``'logit'``)
    or ``m = M σ(z)`` (``'probability'``),
    ``dl/dz = σ(m)^γ⁻ · (σ(m) + γ⁻ · softplus(m) · σ(-m)) · dm/dz``.
    ``y`` is float 0/1; the two cases are combined with ``torch.lerp``,
    which returns either end exactly at weights 0 and 1.
    """
    p = torch.sigmoid(z)
    q = torch.sigmoid(-z)
    sp_pos, sp_z = softplus_pair(z, p, q)  # -log σ(z), -log σ(-z)
    loss_pos, dl_ds = focal(sp_pos, q, p, gamma_pos)  # s = -z
    if modulation == 'logit' and modulation_scale == 1:
        pm, qm, sp_neg, dm = p, q, sp_z, None
    else:
        m = modulation_scale * (z if modulation == 'logit' else p)
        pm, qm = torch.sigmoid(m), torch.sigmoid(-m)
        sp_neg = softplus_pair(m, pm, qm)[1]
        dm = modulation_scale if modulation == 'logit' else \
            (p * q).mul_(modulation_scale)
    loss_neg, grad_neg = focal(sp_neg, pm, qm, gamma_neg)
    if dm is not None:
        grad_neg = grad_neg * dm
    return (torch.lerp(loss_neg, loss_pos, y),
            torch.lerp(grad_neg, dl_ds.neg(), y))
