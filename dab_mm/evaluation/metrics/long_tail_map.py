"""Total / head / middle / tail mAP for long-tailed multi-label data."""
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpretrain.registry import METRICS
from mmpretrain.structures import label_to_onehot

from dab_mm.datasets.label_stats import GROUP_NAMES, class_groups


@METRICS.register_module()
class LongTailMAP(BaseMetric):
    """mAP over all classes and over head / middle / tail class groups.

    AP is the non-interpolated average precision of scikit-learn's
    ``average_precision_score`` (sum over score thresholds of
    ``(R_n - R_{n-1}) * P_n``, tied scores forming one threshold), computed
    for all classes at once. Groups come from TRAINING class counts n_i:
    head ``n_i >= head_thr``, middle ``tail_thr <= n_i < head_thr``, tail
    ``n_i < tail_thr`` (the VOC-MLT / COCO-MLT rule with the defaults), so the
    metric works for any multi-label dataset.

    A class with no positive in the evaluation set has no AP: it is left out
    of every average and named in the log (mmpretrain's ``AveragePrecision``
    would average it in as 0).

    Counts come from ``class_counts`` or, in a runner, from
    :class:`LabelStatsHook` (which counts the training set as loaded).
    Without counts only the total mAP and per-class AP are reported.

    Results (percent): ``mAP``, ``mAP_head``, ``mAP_middle``, ``mAP_tail``
    (a group with no evaluable class is omitted) and ``AP_classwise`` (a list
    in class order, ``None`` for a class without positives).

    Args:
        class_counts (Sequence[int], optional): Training images per class.
        head_thr (int): Smallest count of a head class. Defaults to 100.
        tail_thr (int): Counts below this are tail classes. Defaults to 20.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the result keys. Defaults to
            ``'mlt'``.
    """
    default_prefix: Optional[str] = 'mlt'

    def __init__(self,
                 class_counts: Optional[Sequence[int]] = None,
                 head_thr: int = 100,
                 tail_thr: int = 20,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if tail_thr > head_thr:
            raise ValueError(f'LongTailMAP: tail_thr ({tail_thr}) must not '
                             f'exceed head_thr ({head_thr}).')
        self.head_thr = head_thr
        self.tail_thr = tail_thr
        self.class_counts = None
        if class_counts is not None:
            self.set_class_counts(class_counts)

    def set_class_counts(self,
                         class_counts: Sequence[int],
                         class_names: Optional[Sequence[str]] = None) -> None:
        """Set the training class counts that define the groups."""
        counts = np.asarray(class_counts, dtype=np.int64).reshape(-1)
        if (counts < 0).any():
            raise ValueError('LongTailMAP: class counts must be >= 0.')
        self.class_counts = counts

    def set_label_stats(self, stats) -> None:
        """Take the training counts from :class:`LabelStats`."""
        self.set_class_counts(stats.counts)

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            score = sample['pred_score'].detach().float().cpu()
            num_classes = score.numel()
            if 'gt_score' in sample:
                target = sample['gt_score'].detach().cpu() > 0
            else:
                target = label_to_onehot(sample['gt_label'].cpu(),
                                         num_classes).bool()
            self.results.append(dict(pred_score=score, gt=target))

    @staticmethod
    def average_precision(scores: np.ndarray,
                          labels: np.ndarray) -> np.ndarray:
        """Per-class non-interpolated AP, vectorised over classes.

        Args:
            scores (np.ndarray): (N, C) prediction scores.
            labels (np.ndarray): (N, C) binary targets.

        Returns:
            np.ndarray: (C,) AP in [0, 1]; NaN for a class without positives.
        """
        scores = np.asarray(scores, dtype=np.float64)
        labels = np.asarray(labels).astype(np.float64)
        if scores.shape != labels.shape or scores.ndim != 2:
            raise ValueError(f'scores {scores.shape} and labels '
                             f'{labels.shape} must both be (N, C).')
        if not np.isfinite(scores).all():
            raise ValueError(
                f'{int((~np.isfinite(scores)).sum())} prediction scores are '
                'NaN or inf: the model diverged, AP is undefined.')
        n = scores.shape[0]
        order = np.argsort(-scores, axis=0, kind='stable')
        s = np.take_along_axis(scores, order, 0)
        tp = np.cumsum(np.take_along_axis(labels, order, 0), 0)
        # The last row of each run of tied scores is one threshold.
        is_end = np.ones_like(s, dtype=bool)
        is_end[:-1] = s[:-1] != s[1:]
        tp_at_end = np.where(is_end, tp, 0.0)
        # tp at the previous threshold (tp is non-decreasing).
        prev = np.maximum.accumulate(tp_at_end, axis=0)
        prev = np.vstack([np.zeros((1, s.shape[1])), prev[:-1]])
        precision = tp / np.arange(1, n + 1)[:, None]
        area = np.where(is_end, (tp - prev) * precision, 0.0).sum(0)
        positives = tp[-1] if n else np.zeros(s.shape[1])
        with np.errstate(invalid='ignore', divide='ignore'):
            return np.where(positives > 0, area / positives, np.nan)

    @staticmethod
    def summarize(ap: np.ndarray,
                  groups: Optional[Dict[str, List[int]]] = None
                  ) -> Dict[str, float]:
        """Mean AP (percent) overall and per group, skipping NaN classes."""
        out = {}
        valid = ~np.isnan(ap)
        if valid.any():
            out['mAP'] = float(ap[valid].mean() * 100)
        for name in GROUP_NAMES:
            idx = np.asarray((groups or {}).get(name, []), dtype=np.int64)
            idx = idx[valid[idx]] if idx.size else idx
            if idx.size:
                out[f'mAP_{name}'] = float(ap[idx].mean() * 100)
        return out

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        scores = torch.stack([r['pred_score'] for r in results]).numpy()
        labels = torch.stack([r['gt'] for r in results]).numpy()
        num_classes = scores.shape[1]
        ap = self.average_precision(scores, labels)
        names = (self.dataset_meta or {}).get('classes') or [
            str(i) for i in range(num_classes)
        ]

        groups = None
        if self.class_counts is not None:
            if len(self.class_counts) != num_classes:
                raise ValueError(
                    f'LongTailMAP has training counts for '
                    f'{len(self.class_counts)} classes but the predictions '
                    f'have {num_classes}: the model head\'s num_classes and '
                    'the datasets must agree.')
            groups = class_groups(self.class_counts, self.head_thr,
                                  self.tail_thr)
        else:
            print_log(
                'LongTailMAP: no training class counts (add LabelStatsHook '
                'to custom_hooks or pass class_counts), so head/middle/tail '
                'mAP are not reported.', logger='current', level=30)

        missing = np.flatnonzero(np.isnan(ap))
        if len(missing):
            print_log(
                f'LongTailMAP: {len(missing)} class(es) have no positive in '
                'the evaluation set and are left out of every mAP: '
                + ', '.join(str(names[i]) for i in missing),
                logger='current', level=30)
        metrics = self.summarize(ap, groups)
        metrics['AP_classwise'] = [
            None if np.isnan(a) else round(float(a) * 100, 4) for a in ap
        ]
        return metrics
