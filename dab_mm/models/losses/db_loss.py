"""Distribution-Balanced loss and the re-weighting baselines it subsumes.

Wu, Huang, Liu, Wang, Lin. "Distribution-Balanced Loss for Multi-Label
Classification in Long-Tailed Datasets". ECCV 2020.
https://arxiv.org/abs/2007.09654. Written from the paper's formulas
(docs/method.md §7); no code of the authors' release is used.
"""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from .dab_loss import rebalance_weight
from .fused import (apply_element_loss, binary_labels, const, finish, focal,
                    log1p_exp_neg_abs, no_autocast, rebalanced_affine,
                    reduction_scale)
from .utils import FiniteLogitCheck, check_multilabel_input

REWEIGHT_FUNCS = (None, 'rebalance', 'inverse', 'sqrt_inverse', 'CB')
CB_MODES = ('by_class', 'average_w', 'average_n', 'min_n')


def _masked_mean(values: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    return (values * mask).sum(1) / mask.sum(1).clamp(min=1)


def class_balanced_weight(label: torch.Tensor, counts: torch.Tensor,
                          beta: float = 0.9,
                          mode: str = 'by_class') -> torch.Tensor:
    """Class-balanced weights (Cui et al., CVPR 2019) for multi-label data.

    The weight of a count n is ``(1 - beta) / (1 - beta**n)`` (inverse
    effective number), scaled so the C class weights sum to C. Modes turn it
    into a (B, C) weight:

    - ``'by_class'``: element (k, i) gets class i's weight;
    - ``'average_w'``: image k gets the mean weight of its positive classes;
    - ``'average_n'``: image k gets the weight of the mean count of its
      positive classes;
    - ``'min_n'``: image k gets the weight of its rarest positive class.

    In the image-level modes an image without positive labels gets weight 1.
    """
    if mode not in CB_MODES:
        raise ValueError(f'CB mode must be one of {CB_MODES}, got {mode!r}.')
    if not 0.0 <= beta < 1.0:
        raise ValueError(f'CB beta must lie in [0, 1), got {beta}.')
    with torch.no_grad():
        counts = counts.to(device=label.device, dtype=torch.float32)
        y = (label > 0).float()

        def weight_of(n):
            return (1.0 - beta) / (1.0 - beta**n)

        scale = counts.numel() / weight_of(counts).sum()
        if mode == 'by_class':
            return (weight_of(counts) * scale).expand_as(y).clone()
        has_pos = y.sum(1) > 0
        if mode == 'average_w':
            w = _masked_mean(weight_of(counts) * scale, y)
        elif mode == 'average_n':
            w = weight_of(_masked_mean(counts, y).clamp(min=1)) * scale
        else:  # min_n
            n_min = torch.where(y > 0, counts, torch.full_like(y, float('inf')))
            w = weight_of(n_min.min(1).values.clamp(max=1e12)) * scale
        w = torch.where(has_pos, w, torch.ones_like(w))
        return w[:, None].expand_as(y).clone()


def inverse_frequency_weight(label: torch.Tensor, counts: torch.Tensor,
                             power: float = 1.0) -> torch.Tensor:
    """RW: class weights ∝ n_i^(-power), on every element of class i,
    normalised within the mini-batch to a mean of 1 over its B·C elements."""
    with torch.no_grad():
        counts = counts.to(device=label.device, dtype=torch.float32)
        w = counts.pow(-power).expand(label.shape[0], -1)
        return w / w.mean()


def db_loss(cls_score: torch.Tensor,
            label: torch.Tensor,
            weight: Optional[torch.Tensor] = None,
            prior_bias: Optional[torch.Tensor] = None,
            neg_scale: float = 1.0,
            gamma: float = 0.0,
            reduction: str = 'mean',
            avg_factor: Optional[float] = None,
            prior_bias_sign: int = 1,
            loss_weight: float = 1.0,
            binary_label: bool = False) -> torch.Tensor:
    """Functional DB loss: (re-weighted) BCE with negative-tolerant
    regularisation and an optional focal term, as the DB authors' released
    code computes it (docs/method.md §7).

    Element loss, with ν the class prior bias, λ the negative scale and
    z' = z + ν the shifted logit::

        positive: l = log(1 + exp(-z')),            focal factor σ(-z')^γ
        negative: l = (1 / λ) log(1 + exp(λ z')),   focal factor σ(λ z')^γ
        weighted: l <- w · factor · l

    The focal factor is (1 - p_t)^γ with p_t = exp(-BCE(s, y)) of the
    *unweighted* BCE of the scaled logit s (z' for positives, λ z' for
    negatives): the 1/λ and the weight multiply the loss after it. With
    ν = 0, λ = 1, γ = 0 and no weight this is plain BCE. ``'mean'``
    averages over all B·C elements; ``avg_factor`` counts samples (the sum is
    divided by ``avg_factor * C``), as for :func:`dab_loss`.

    ``prior_bias_sign=-1`` subtracts the bias instead (z' = z - ν, the sign
    of the DB paper's formula as this project first read it; it raises the
    logits of rare classes instead of lowering them). ``loss_weight``
    multiplies the result; ``binary_label=True`` says ``label`` is already
    float32 0/1 (skips the conversion). The value and its closed-form
    gradient are computed together (:mod:`.fused`); ``weight`` gets no
    gradient.
    """
    check_multilabel_input('DBLoss', cls_score, label)
    if prior_bias_sign not in (1, -1):
        raise ValueError(f'DBLoss: prior_bias_sign must be 1 (add, the '
                         f'released code) or -1, got {prior_bias_sign!r}.')
    def compute(z):
        y = label if binary_label else binary_labels(label)
        if prior_bias is not None:
            bias = prior_bias
            if bias.device != z.device or bias.dtype != torch.float32:
                bias = bias.to(device=z.device, dtype=torch.float32)
            z = z + bias if prior_bias_sign == 1 else z - bias
        # s: the scaled logit whose BCE against the label is softplus(s):
        # -z' for positives, λ z' for negatives; ds/dz = k = λ - (λ + 1) y
        k = torch.add(const(neg_scale, y), y, alpha=-(neg_scale + 1.0))
        s = z * k
        p, q = torch.sigmoid(s), torch.sigmoid(-s)
        sp = s.clamp(min=0).add_(log1p_exp_neg_abs(p, q))  # softplus(s)
        loss, grad = focal(sp, p, q, gamma)
        grad = grad * k if grad is p else grad.mul_(k)
        scale = reduction_scale(z.shape, reduction, avg_factor, loss_weight)
        # w = S · (1/λ on negatives, 1 on positives) · weight
        w = None
        if neg_scale != 1.0:
            w = torch.add(const(scale / neg_scale, y), y,
                          alpha=scale * (1.0 - 1.0 / neg_scale))
        return finish(loss, grad, w, scale, reduction, weight)

    with no_autocast(cls_score.device.type):
        return apply_element_loss(cls_score, compute)


@MODELS.register_module()
class DBLoss(nn.Module):
    """Distribution-Balanced loss and its re-weighting / focal baselines.

    Paper: Wu et al., "Distribution-Balanced Loss for Multi-Label
    Classification in Long-Tailed Datasets", ECCV 2020
    (https://arxiv.org/abs/2007.09654). One module covers the DB paper's
    family of sigmoid losses:

    ============  ==========================================================
    ERM / RS      ``DBLoss()`` (plain BCE, mean over B·C)
    Focal         ``DBLoss(gamma=2)``
    RW            ``DBLoss(reweight_func='sqrt_inverse')``
    CB-Focal      ``DBLoss(reweight_func='CB', gamma=2)``
    DB-Focal      ``DBLoss(reweight_func='rebalance', kappa=0.05,
                  neg_scale=5, gamma=2, loss_weight=2)``
    ============  ==========================================================

    Re-weighting: ``'rebalance'`` is the re-balanced weight
    ``alpha + sigmoid(beta * (r - mu))`` with r the ratio of class- to
    instance-level sampling probability (the same weight as DAB's, see
    :func:`.rebalance_weight`); ``'inverse'`` / ``'sqrt_inverse'`` weight class
    i by n_i^-1 / n_i^-1/2, normalised to mean 1 in each mini-batch; ``'CB'``
    is the class-balanced weight (see :func:`.class_balanced_weight`).

    Negative-tolerant regularisation, as the DB authors' released code
    computes it: the class prior bias
    ``ν_i = (kappa / neg_scale) · log(p_i / (1 - p_i))`` with ``p_i = n_i / N``
    is added to the logits (negative for rare classes, so a rare class
    starts near its prior), and negatives are scaled by λ = ``neg_scale``
    (loss ``(1/λ) log(1 + exp(λ z'))``). The focal factor is computed from
    the unweighted BCE of the scaled logit (σ(λ z')^γ for a negative). (The
    bias carries 1/λ so that DB's published κ = 0.05 gives the published
    biases; on VOC-MLT ν ranges over [-0.0565, 0.0075] with λ = 5.)

    Class counts n_i and the number of training images N come from
    :class:`.LabelStatsHook` (``set_label_stats``) or the arguments.

    Args:
        class_counts (Sequence[int], optional): n_i. Defaults to None.
        num_images (int, optional): N, for the prior bias. Defaults to None.
        reweight_func (str, optional): None, ``'rebalance'``, ``'inverse'``,
            ``'sqrt_inverse'`` or ``'CB'``. Defaults to None.
        alpha (float): Re-balanced weight offset α. Defaults to 0.1.
        beta (float): Re-balanced weight slope β. Defaults to 10.0.
        mu (float): Re-balanced weight threshold μ. Defaults to 0.3.
        cb_beta (float): CB β. Defaults to 0.9.
        cb_mode (str): CB mode. Defaults to ``'average_w'`` (Cui et al.'s
            per-image weight, averaged over the image's labels).
        kappa (float): Prior-bias scale κ (0 disables the bias). Defaults to
            0.0.
        neg_scale (float): Negative scale λ (1 disables it). Defaults to 1.0.
        gamma (float): Focal γ (0 disables the focal term; otherwise >= 1).
            Defaults to 0.0.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to
            ``'mean'``.
        loss_weight (float): Multiplier (DB-Focal uses 2). Defaults to 1.0.
        prior_bias_sign (int): 1 adds ν to the logits (the released code,
            default); -1 subtracts it (the other reading, docs/method.md §7).
        check_finite (bool): Raise a clear error on NaN/inf logits instead of
            returning a NaN loss (on a GPU without a host sync per step, a
            step or so late: :class:`.FiniteLogitCheck`). Defaults to True.
    """

    def __init__(self,
                 class_counts: Optional[Sequence[int]] = None,
                 num_images: Optional[int] = None,
                 reweight_func: Optional[str] = None,
                 alpha: float = 0.1,
                 beta: float = 10.0,
                 mu: float = 0.3,
                 cb_beta: float = 0.9,
                 cb_mode: str = 'average_w',
                 kappa: float = 0.0,
                 neg_scale: float = 1.0,
                 gamma: float = 0.0,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0,
                 prior_bias_sign: int = 1,
                 check_finite: bool = True):
        super().__init__()
        self.check_finite = check_finite
        self._finite_check = FiniteLogitCheck('DBLoss')
        if prior_bias_sign not in (1, -1):
            raise ValueError('DBLoss: prior_bias_sign must be 1 (add ν, the '
                             'released code) or -1 (subtract), got '
                             f'{prior_bias_sign!r}.')
        self.prior_bias_sign = prior_bias_sign
        if reweight_func not in REWEIGHT_FUNCS:
            raise ValueError(f'DBLoss: reweight_func must be one of '
                             f'{REWEIGHT_FUNCS}, got {reweight_func!r}.')
        if cb_mode not in CB_MODES:
            raise ValueError(f'DBLoss: cb_mode must be one of {CB_MODES}, '
                             f'got {cb_mode!r}.')
        if neg_scale <= 0:
            raise ValueError(f'DBLoss: neg_scale must be > 0, got {neg_scale}.')
        if gamma != 0 and gamma < 1:
            raise ValueError('DBLoss: gamma must be 0 (no focal term) or >= 1 '
                             f'(finite gradients), got {gamma}.')
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(f'DBLoss: unknown reduction {reduction!r}.')
        self.reweight_func = reweight_func
        self.alpha, self.beta, self.mu = alpha, beta, mu
        self.cb_beta, self.cb_mode = cb_beta, cb_mode
        self.kappa, self.neg_scale, self.gamma = kappa, neg_scale, gamma
        self.reduction, self.loss_weight = reduction, loss_weight
        self.num_images = num_images
        self.register_buffer('class_counts', None, persistent=False)
        if class_counts is not None:
            self.set_class_counts(class_counts, num_images=num_images)

    @property
    def needs_counts(self) -> bool:
        return self.reweight_func is not None or self.kappa != 0

    def set_class_counts(self,
                         class_counts: Union[Sequence[int], torch.Tensor],
                         class_names: Optional[Sequence[str]] = None,
                         num_images: Optional[int] = None) -> None:
        """Set n_i (and N, needed when ``kappa != 0``)."""
        counts = torch.as_tensor(class_counts, dtype=torch.float32).flatten()
        if num_images is not None:
            self.num_images = int(num_images)
        bad = (counts <= 0)
        if self.kappa != 0:
            if self.num_images is None:
                raise ValueError('DBLoss: kappa != 0 needs num_images (N) for '
                                 'the class prior n_i / N.')
            bad = bad | (counts >= self.num_images)
        bad = torch.nonzero(bad).flatten().tolist()
        if bad and self.needs_counts:
            names = [f'{i} ({class_names[i]}: n={int(counts[i])})'
                     if class_names else f'{i} (n={int(counts[i])})'
                     for i in bad]
            raise ValueError(
                'DBLoss: class(es) ' + ', '.join(names) + ' have no training '
                'image (or, with kappa != 0, are in every image), so their '
                'weight or prior bias is undefined. Fix the class list or the '
                'training split.')
        if self.class_counts is not None:
            counts = counts.to(self.class_counts.device)
        self.class_counts = counts
        self._prior_bias = None
        self._inv_count = None
        self._all_counted = bool((counts > 0).all())

    def set_label_stats(self, stats) -> None:
        """Take n_i and N from the training set's :class:`.LabelStats`."""
        self.set_class_counts(stats.counts, stats.class_names,
                              stats.num_images)

    @property
    def prior_bias(self) -> Optional[torch.Tensor]:
        """ν_i = (κ / λ) · logit(n_i / N), or None when κ = 0 (computed once
        per set of counts, on their device)."""
        if self.kappa == 0:
            return None
        cached = getattr(self, '_prior_bias', None)
        if cached is None or cached.device != self.class_counts.device:
            p = self.class_counts / self.num_images
            cached = self.kappa / self.neg_scale * torch.log(p / (1 - p))
            self._prior_bias = cached
        return cached

    def element_weight(self, label: torch.Tensor) -> Optional[torch.Tensor]:
        """The (B, C) re-weighting of a batch, or None."""
        return self._element_weight(binary_labels(label))

    def _element_weight(self, y: torch.Tensor) -> Optional[torch.Tensor]:
        """:meth:`element_weight` of float32 0/1 labels."""
        label = y
        f = self.reweight_func
        if f is None:
            return None
        if f == 'rebalance':
            inv = self._inv_count  # 1/n_i, set when every class has images
            if inv is None and self.beta > 0 and self._all_counted:
                inv = self._inv_count = self.class_counts.reciprocal()
            if inv is not None:
                if inv.device != y.device:
                    inv = self._inv_count = inv.to(y.device)
                return rebalanced_affine(y, inv, self.alpha, self.beta,
                                         self.mu, 1.0, 0.0)
            return rebalance_weight(label, self.class_counts, beta=self.alpha,
                                    mu=self.beta, epsilon=self.mu)
        if f in ('inverse', 'sqrt_inverse'):
            return inverse_frequency_weight(
                label, self.class_counts, 1.0 if f == 'inverse' else 0.5)
        return class_balanced_weight(label, self.class_counts, self.cb_beta,
                                     self.cb_mode)

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        """Compute the loss (arguments as for :class:`.DABLoss`)."""
        if self.check_finite:
            self._finite_check(cls_score)
        if self.needs_counts:
            counts = self.class_counts
            if counts is None:
                raise RuntimeError(
                    'DBLoss needs class counts for its re-weighting / prior '
                    'bias: train through a Runner with LabelStatsHook in '
                    'custom_hooks, or pass class_counts (and num_images).')
            if counts.shape[0] != cls_score.shape[-1]:
                raise ValueError(
                    f'DBLoss has counts for {counts.numel()} '
                    f'classes but the logits have {cls_score.size(-1)}.')
            if counts.device != cls_score.device:
                self.class_counts = counts.to(cls_score.device)
        y = binary_labels(label)
        element_weight = self._element_weight(y)
        if weight is not None:
            element_weight = weight if element_weight is None else \
                element_weight * weight
        return db_loss(
            cls_score,
            y,
            weight=element_weight,
            prior_bias=self.prior_bias,
            neg_scale=self.neg_scale,
            gamma=self.gamma,
            reduction=reduction_override or self.reduction,
            avg_factor=avg_factor,
            loss_weight=self.loss_weight,
            prior_bias_sign=self.prior_bias_sign,
            binary_label=True)

    def extra_repr(self) -> str:
        return (f'reweight_func={self.reweight_func!r}, kappa={self.kappa}, '
                f'neg_scale={self.neg_scale}, gamma={self.gamma}, '
                f'loss_weight={self.loss_weight}')
