"""Distribution Asymmetric Balance (DAB) loss.

Zhu Xu-dong, Xiong Yun. "Study on Multi-label Image Classification Based on
Sample Distribution Loss". Computer Science, 2022, 49(6): 210-216.
doi:10.11896/jsjkx.210300267. Formulas and reading choices: docs/method.md.
"""
from typing import Optional, Sequence, Union

import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from .fused import (apply_element_loss, binary_labels, const,
                    dab_element_terms, finish, no_autocast, rebalanced_affine,
                    reduction_scale)
from .utils import FiniteLogitCheck, check_multilabel_input

MODULATIONS = ('logit', 'probability')


def rebalance_weight(label: torch.Tensor,
                     class_counts: torch.Tensor,
                     beta: float = 0.1,
                     mu: float = 5.0,
                     epsilon: float = 0.3) -> torch.Tensor:
    """Class-distribution re-sampling weight ŝ of every (image, class) pair.

    ``s_ki = (1 / n_i) / sum_{j: y_kj = 1} (1 / n_j)`` and
    ``ŝ_ki = beta + sigmoid(mu * (s_ki - epsilon))`` (method.md §1).

    Two limits are used where ``s`` is unbounded: an image with no positive
    label (instance-level probability 0) and a class with ``n_i = 0`` both
    give ``s = +inf``, so ``ŝ = beta + 1``. Positive labels of a class with
    ``n_i = 0`` contribute nothing to the instance-level probability.

    Args:
        label (Tensor): Multi-hot labels, shape (B, C).
        class_counts (Tensor): n_i, training images per class, shape (C,).
        beta (float): Offset β. Defaults to 0.1.
        mu (float): Slope μ. Defaults to 5.0.
        epsilon (float): Threshold ε. Defaults to 0.3.

    Returns:
        Tensor: ŝ, shape (B, C), float32, no gradient.
    """
    with torch.no_grad():
        counts = class_counts.to(device=label.device, dtype=torch.float32)
        label = (label > 0).to(torch.float32)
        if mu > 0 and counts.device.type == 'cpu' and bool((counts > 0).all()):
            # Every class has images: 1/n_i is finite, and an image without
            # positives has P^I = 0, so s = 1/n_i / 0 = +inf and
            # sigmoid(mu * (inf - epsilon)) = 1, the documented limit.
            inv_count = counts.reciprocal()
            instance_prob = label @ inv_count
            ratio = inv_count[None, :] / instance_prob[:, None]
            return torch.sigmoid(ratio.sub_(epsilon).mul_(mu)).add_(beta)
        has_images = counts > 0
        inv_count = torch.where(has_images, 1.0 / counts.clamp(min=1e-12),
                                torch.zeros_like(counts))  # P^C_i
        instance_prob = label @ inv_count  # P^I(x_k), shape (B,)
        has_positive = instance_prob > 0
        ratio = inv_count[None, :] / instance_prob.clamp(min=1e-12)[:, None]
        finite = has_images[None, :] & has_positive[:, None]
        squashed = torch.where(finite, torch.sigmoid(mu * (ratio - epsilon)),
                               torch.ones_like(ratio))
        return beta + squashed


def dab_loss(cls_score: torch.Tensor,
             label: torch.Tensor,
             class_counts: torch.Tensor,
             phi: float = 0.0,
             gamma_pos: float = 0.0,
             gamma_neg: float = 3.0,
             modulation_scale: float = 1.0,
             modulation: str = 'logit',
             beta: float = 0.1,
             mu: float = 5.0,
             epsilon: float = 0.3,
             weight: Optional[torch.Tensor] = None,
             reduction: str = 'mean',
             avg_factor: Optional[float] = None,
             loss_weight: float = 1.0,
             inv_count: Optional[torch.Tensor] = None) -> torch.Tensor:
    """Functional DAB loss (method.md §4, the paper's Eq. 16).

    Element loss ``w * [y * l_pos + (1 - y) * l_neg]`` with
    ``w = phi + (1 - phi) * ŝ``, ``l_pos = -(1 - p)^gamma_pos * log p`` and
    ``l_neg = -p̂^gamma_neg * log(1 - p̂)``, where ``p = sigmoid(z)`` and
    ``p̂ = sigmoid(M * z)`` (``modulation='logit'``, the default) or
    ``p̂ = sigmoid(M * sigmoid(z))`` (``modulation='probability'``, the
    literal reading of Eq. 14). The value and its closed-form gradient are
    computed together in float32 (:mod:`.fused`), whatever the input dtype
    or autocast state, and are finite for every finite logit. ``weight``
    gets no gradient.

    Args:
        cls_score (Tensor): Logits z, shape (B, C).
        label (Tensor): Multi-hot labels y in {0, 1}, shape (B, C).
        class_counts (Tensor): n_i on the training set, shape (C,).
        phi (float): Dynamic balance φ in [0, 1]; 1 is plain (asymmetric)
            BCE, 0 is fully re-balanced. Defaults to 0.
        gamma_pos (float): γ⁺. Defaults to 0.
        gamma_neg (float): γ⁻. Defaults to 3.
        modulation_scale (float): M. Defaults to 1.
        modulation (str): ``'logit'`` or ``'probability'``. Defaults to
            ``'logit'``.
        beta, mu, epsilon (float): Re-sampling weight parameters, see
            :func:`.rebalance_weight`.
        weight (Tensor, optional): Extra element-wise weight broadcastable to
            (B, C).
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``.
        avg_factor (float, optional): Number of SAMPLES to average over (what
            mmpretrain's multi-label heads pass). With ``reduction='mean'``
            the sum is divided by ``avg_factor * C``, so the loss keeps the
            paper's per-element scale.
        loss_weight (float): Multiplier of the loss. Defaults to 1.
        inv_count (Tensor, optional): ``1 / class_counts``, float32, on the
            logits' device, given when every count is > 0 (a fast path;
            :class:`.DABLoss` passes it). Defaults to None.

    Returns:
        Tensor: The loss.
    """
    if modulation not in MODULATIONS:
        raise ValueError(f'modulation must be one of {MODULATIONS}, '
                         f'got {modulation!r}.')
    check_multilabel_input('DABLoss', cls_score, label)
    num_classes = cls_score.size(1)
    if class_counts.numel() != num_classes:
        raise ValueError(
            f'DABLoss has class counts for {class_counts.numel()} classes but '
            f'the logits have {num_classes}. The model head\'s num_classes '
            'must equal the number of classes of the training dataset.')
    if not 0.0 <= phi <= 1.0:
        raise ValueError(f'phi must lie in [0, 1], got {phi}.')

    def compute(z):
        y = binary_labels(label)
        loss, grad = dab_element_terms(z, y, gamma_pos, gamma_neg,
                                       modulation_scale, modulation)
        scale = reduction_scale(z.shape, reduction, avg_factor, loss_weight)
        w = None
        if phi < 1.0:
            # w = S · (φ + (1 - φ) · ŝ), S the reduction scale
            if inv_count is not None and mu > 0:
                w = rebalanced_affine(y, inv_count, beta, mu, epsilon,
                                      scale * (1.0 - phi), scale * phi)
            else:
                w = rebalance_weight(y, class_counts, beta, mu, epsilon)
                w = w.mul_(const(scale * (1.0 - phi), w)).add_(
                    const(scale * phi, w))
        return finish(loss, grad, w, scale, reduction, weight)

    with no_autocast(cls_score.device.type):
        return apply_element_loss(cls_score, compute)


@MODELS.register_module()
class DABLoss(nn.Module):
    """Distribution Asymmetric Balance loss for long-tailed multi-label data.

    Paper: Zhu & Xiong, "Study on Multi-label Image Classification Based on
    Sample Distribution Loss", Computer Science 2022 (doi
    10.11896/jsjkx.210300267). It combines the Distribution-Balanced
    re-sampling weight (Wu et al., ECCV 2020), a dynamic balance φ between
    plain and re-balanced loss, and an asymmetric focusing loss whose
    negatives are modulated by ``p̂ = sigmoid(M * z)``. See docs/method.md.

    Class counts ``n_i`` normally come from the training set as loaded:
    :class:`.LabelStatsHook` calls :meth:`set_label_stats` before training,
    and :class:`.PhiScheduleHook` sets φ every epoch. Both can also be given
    here, for use outside the runner.

    Args:
        class_counts (Sequence[int], optional): n_i per class. Defaults to
            None (set by :class:`.LabelStatsHook`).
        phi (float): φ used when no hook sets it. Defaults to 0.0 (full
            re-balancing).
        gamma_pos (float): γ⁺. Defaults to 0.0.
        gamma_neg (float): γ⁻. Defaults to 3.0.
        modulation_scale (float): M. Defaults to 1.0.
        modulation (str): ``'logit'`` (p̂ = σ(M·z), default) or
            ``'probability'`` (p̂ = σ(M·σ(z)), the literal Eq. 14).
        beta (float): Offset β of the re-sampling weight. Defaults to 0.1.
        mu (float): Slope μ. Defaults to 5.0.
        epsilon (float): Threshold ε; 0.3 for VOC-MLT, 0.2 for COCO-MLT.
            Defaults to 0.3.
        allow_empty_classes (bool): Accept classes with ``n_i = 0`` and give
            them the limit weight ``beta + 1``. Defaults to False, which
            raises an error naming the classes.
        check_finite (bool): Raise a clear error on NaN/inf logits instead of
            returning a NaN loss (on a GPU without a host sync per step, a
            step or so late: :class:`.FiniteLogitCheck`). Defaults to True.
        reduction (str): ``'none'``, ``'mean'`` or ``'sum'``. Defaults to
            ``'mean'`` (over all B·C elements).
        loss_weight (float): Multiplier of the loss. Defaults to 1.0.
    """

    def __init__(self,
                 class_counts: Optional[Sequence[int]] = None,
                 phi: float = 0.0,
                 gamma_pos: float = 0.0,
                 gamma_neg: float = 3.0,
                 modulation_scale: float = 1.0,
                 modulation: str = 'logit',
                 beta: float = 0.1,
                 mu: float = 5.0,
                 epsilon: float = 0.3,
                 allow_empty_classes: bool = False,
                 check_finite: bool = True,
                 reduction: str = 'mean',
                 loss_weight: float = 1.0):
        super().__init__()
        if modulation not in MODULATIONS:
            raise ValueError(f'DABLoss: modulation must be one of '
                             f'{MODULATIONS}, got {modulation!r}.')
        if reduction not in ('none', 'mean', 'sum'):
            raise ValueError(f'DABLoss: unknown reduction {reduction!r}.')
        self.gamma_pos = gamma_pos
        self.gamma_neg = gamma_neg
        self.modulation_scale = modulation_scale
        self.modulation = modulation
        self.beta = beta
        self.mu = mu
        self.epsilon = epsilon
        self.allow_empty_classes = allow_empty_classes
        self.check_finite = check_finite
        self._finite_check = FiniteLogitCheck('DABLoss')
        self.reduction = reduction
        self.loss_weight = loss_weight
        self.phi = phi
        # Not persistent: counts describe the training set, not the model,
        # and are set again from the data in every run.
        self.register_buffer('class_counts', None, persistent=False)
        self._inv_count = None
        if class_counts is not None:
            self.set_class_counts(class_counts)

    @property
    def phi(self) -> float:
        """float: The dynamic balance φ in [0, 1]."""
        return self._phi

    @phi.setter
    def phi(self, value: float) -> None:
        value = float(value)
        if not 0.0 <= value <= 1.0:
            raise ValueError(f'DABLoss: phi must lie in [0, 1], got {value}.')
        self._phi = value

    def set_class_counts(self,
                         class_counts: Union[Sequence[int], torch.Tensor],
                         class_names: Optional[Sequence[str]] = None) -> None:
        """Set n_i, the number of training images of each class.

        Args:
            class_counts (Sequence[int] | Tensor): One count per class.
            class_names (Sequence[str], optional): Names used in errors.
        """
        counts = torch.as_tensor(class_counts, dtype=torch.float32).flatten()
        if (counts < 0).any() or not torch.isfinite(counts).all():
            raise ValueError('DABLoss: class counts must be finite and >= 0, '
                             f'got {counts.tolist()}.')
        empty = torch.nonzero(counts == 0).flatten().tolist()
        if empty and not self.allow_empty_classes:
            names = [
                f'{i} ({class_names[i]})' if class_names else str(i)
                for i in empty
            ]
            raise ValueError(
                f'DABLoss: class(es) {", ".join(names)} have no training '
                'image, so their re-sampling weight 1/n_i is undefined. Add '
                'training images of them, remove them from the dataset\'s '
                'classes, or set `allow_empty_classes=True` in the loss '
                'config to give them the limit weight beta + 1.')
        if self.class_counts is not None:
            counts = counts.to(self.class_counts.device)
        self.class_counts = counts
        # 1/n_i for the fast path of the weight (None with empty classes)
        self._inv_count = counts.reciprocal() if not empty else None

    def set_label_stats(self, stats) -> None:
        """Take n_i from the training set's :class:`.LabelStats`."""
        self.set_class_counts(stats.counts, stats.class_names)

    def forward(self,
                cls_score: torch.Tensor,
                label: torch.Tensor,
                weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None,
                reduction_override: Optional[str] = None,
                **kwargs) -> torch.Tensor:
        """Compute the loss.

        Args:
            cls_score (Tensor): Logits, shape (B, C).
            label (Tensor): Multi-hot labels, shape (B, C).
            weight (Tensor, optional): Element-wise weight. Defaults to None.
            avg_factor (float, optional): Number of samples the mean is taken
                over (the mean is over ``avg_factor * C`` elements).
            reduction_override (str, optional): Overrides ``reduction``.

        Returns:
            Tensor: The loss.
        """
        if self.class_counts is None:
            raise RuntimeError(
                'DABLoss has no class counts. Train through a Runner whose '
                'custom_hooks include LabelStatsHook (configs/_base_/'
                'default_runtime.py adds it), or pass class_counts=[...] to '
                'the loss.')
        if self.class_counts.device != cls_score.device:
            # Counts are set on CPU before the run; move them once.
            self.class_counts = self.class_counts.to(cls_score.device)
        if self._inv_count is not None and \
                self._inv_count.device != cls_score.device:
            self._inv_count = self._inv_count.to(cls_score.device)
        reduction = reduction_override or self.reduction
        loss = dab_loss(
            cls_score,
            label,
            self.class_counts,
            phi=self.phi,
            gamma_pos=self.gamma_pos,
            gamma_neg=self.gamma_neg,
            modulation_scale=self.modulation_scale,
            modulation=self.modulation,
            beta=self.beta,
            mu=self.mu,
            epsilon=self.epsilon,
            weight=weight,
            reduction=reduction,
            avg_factor=avg_factor,
            loss_weight=self.loss_weight,
            inv_count=self._inv_count)
        if self.check_finite:
            # With logit modulation a non-finite logit makes the loss NaN or
            # inf (each element mixes both branches with torch.lerp, whose
            # unused end is then inf and turns the result into NaN), so
            # checking the value covers the logits.
            self._finite_check(
                cls_score, loss if self.modulation == 'logit' else None)
        return loss

    def extra_repr(self) -> str:
        return (f'phi={self.phi}, gamma_pos={self.gamma_pos}, '
                f'gamma_neg={self.gamma_neg}, M={self.modulation_scale}, '
                f'modulation={self.modulation!r}, beta={self.beta}, '
                f'mu={self.mu}, epsilon={self.epsilon}')
