"""Total / head / middle / tail mAP for long-tailed multi-label data."""
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmpretrain.registry import METRICS
from mmpretrain.structures import label_to_onehot

from dab_mm.datasets.label_stats import GROUP_NAMES, class_groups


def _cpu_count() -> int:
    """CPUs this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


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
    :class:`.LabelStatsHook` (which counts the training set as loaded).
    Without counts only the total mAP and per-class AP are reported.

    Results (percent): ``mAP``, ``mAP_head``, ``mAP_middle``, ``mAP_tail``
    (a group with no evaluable class is omitted), ``AP_classwise`` (a list
    in class order, ``None`` for a class without positives) and, with
    ``thr`` set, the threshold metrics of the ML-GCN and ASL papers:
    ``CP``, ``CR``, ``CF1`` (per-class precision and recall averaged over
    classes, and their harmonic mean) and ``OP``, ``OR``, ``OF1`` (overall:
    counted over all elements). A score ``>= thr`` is a predicted positive.
    CP, CR, OP, OR and OF1 equal mmpretrain's ``MultiLabelMetric`` (macro /
    micro precision, recall, F1; a class with nothing predicted or no
    positive counts 0); CF1 is the papers' 2·CP·CR / (CP + CR), whereas
    mmpretrain's macro ``f1-score`` averages per-class F1. They are computed
    from the scores this metric keeps anyway, with O(C) extra memory.

    Args:
        class_counts (Sequence[int], optional): Training images per class.
        head_thr (int): Smallest count of a head class. Defaults to 100.
        tail_thr (int): Counts below this are tail classes. Defaults to 20.
        thr (float, optional): Score threshold of CP ... OF1 (the score is
            the head's sigmoid probability); None leaves them out.
            Defaults to 0.5, the threshold of mmpretrain's multi-label heads.
        collect_device (str): ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the result keys. Defaults to
            ``'mlt'``.
    """
    default_prefix: Optional[str] = 'mlt'

    def __init__(self,
                 class_counts: Optional[Sequence[int]] = None,
                 head_thr: int = 100,
                 tail_thr: int = 20,
                 thr: Optional[float] = 0.5,
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        if tail_thr > head_thr:
            raise ValueError(f'LongTailMAP: tail_thr ({tail_thr}) must not '
                             f'exceed head_thr ({head_thr}).')
        self.head_thr = head_thr
        self.tail_thr = tail_thr
        self.thr = thr
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
        """Take the training counts from :class:`.LabelStats`."""
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
    def average_precision(scores: np.ndarray, labels: np.ndarray,
                          chunk_elements: int = 1 << 20) -> np.ndarray:
        """Per-class non-interpolated AP, equal to scikit-learn's
        ``average_precision_score`` bit for bit (ties included).

        The classes are sorted at once, as rows of a contiguous (C, N) array
        (in chunks of about ``chunk_elements`` scores, to bound memory); then
        each class's precision/recall steps at its distinct scores go through
        the same floating-point operations as scikit-learn's. Tied scores form
        one threshold, so their order within the sort does not matter.

        Args:
            scores (np.ndarray): (N, C) prediction scores.
            labels (np.ndarray): (N, C) binary targets.
            chunk_elements (int): Scores sorted at once. Defaults to 2^20.

        Returns:
            np.ndarray: (C,) AP in [0, 1]; NaN for a class without positives.
        """
        scores = np.asarray(scores)
        labels = np.asarray(labels)
        if scores.shape != labels.shape or scores.ndim != 2:
            raise ValueError(f'scores {scores.shape} and labels '
                             f'{labels.shape} must both be (N, C).')
        if not np.isfinite(scores).all():
            raise ValueError(
                f'{int((~np.isfinite(scores)).sum())} prediction scores are '
                'NaN or inf: the model diverged, AP is undefined.')
        n, num_classes = scores.shape
        ap = np.full(num_classes, np.nan)
        if n == 0:
            return ap
        # chunks of at most chunk_elements scores, and at least one per CPU
        step = max(1, min(chunk_elements // n,
                          -(-num_classes // _cpu_count())))
        last = np.array([n - 1])
        # Scores keep their float type (float32 from a model: half the
        # bytes to sort); positions of equal scores are the same in float64.
        if scores.dtype not in (np.float32, np.float64):
            scores = scores.astype(np.float64)
        count = np.int32 if n < 2**31 else np.int64
        def chunk(c0):
            y = np.ascontiguousarray((labels[:, c0:c0 + step] > 0).T)
            if scores.dtype == np.float32:
                # One int64 key per score, sorted ascending and read
                # backwards: the score's float32 bits mapped to a monotone
                # int, times 4, plus the label. A plain sort (much faster
                # than argsort and gathers) gives both the sorted scores and
                # the labels in that order; equal scores stay adjacent and
                # their keys differ by at most 1, different scores by >= 3.
                x = np.add(scores[:, c0:c0 + step].T, np.float32(0),
                           out=np.empty(y.shape, np.float32))  # -0.0 -> +0.0
                bits = x.view(np.int32)
                if x.size and x.min() < 0:  # negative floats: flip magnitude
                    bits ^= (bits >> 31) & 0x7fffffff
                key = np.left_shift(bits, 2, dtype=np.int64)
                key |= y
                key.sort(axis=1)
                key = key[:, ::-1]  # descending scores
                # (int8 in: numpy's cumsum of int64 along rows is 10x slower)
                tp = np.cumsum((key & 1).astype(np.int8), axis=1,
                               dtype=count)
                change = np.diff(key, axis=1) <= -2  # next score is lower
            else:
                s = -np.ascontiguousarray(scores[:, c0:c0 + step].T)
                order = np.argsort(s, axis=1)  # descending scores
                s = np.take_along_axis(s, order, 1)
                # exact integer counts of positives at or above each position
                tp = np.cumsum(np.take_along_axis(y, order, 1).view(np.int8),
                               axis=1, dtype=count)
                change = s[:, 1:] != s[:, :-1]
            # The last position of each run of equal scores (a threshold),
            # for all classes with positives at once, in class order; each
            # class closes with position n - 1.
            flat = np.flatnonzero(change)
            row = flat // max(n - 1, 1)
            has_pos = tp[:, -1] > 0
            keep = has_pos[row]
            row, pos = row[keep], flat[keep] - row[keep] * (n - 1)
            classes = np.flatnonzero(has_pos)
            if not len(classes):
                return  # no positives: every AP of the chunk stays NaN
            ends = np.searchsorted(row, classes, side='right')
            pos = np.insert(pos, ends, n - 1)
            row = np.insert(row, ends, classes)
            # scikit-learn's floats: precision tps / (tps + fps) and recall
            # tps / P at each threshold, terms (r_prev - r) * p with r_prev
            # the previous threshold's recall (0 first), summed per class in
            # reversed order by np.sum (pairwise, as scikit-learn does)
            tps = tp[row, pos].astype(np.float64)
            fps = 1 + pos.astype(np.float64) - tps
            precision = tps / (tps + fps)
            recall = tps / tp[row, -1].astype(np.float64)
            prev = np.empty_like(recall)
            prev[1:] = recall[:-1]
            first = np.concatenate([[0], ends[:-1] + np.arange(1, len(ends))])
            prev[first] = 0.0
            terms = ((prev - recall) * precision)[::-1].copy()
            bounds = len(terms) - (ends + np.arange(1, len(ends) + 1))
            stops = np.concatenate([[len(terms)], bounds[:-1]])
            for j, k in enumerate(classes):
                ap[c0 + k] = max(0.0, float(-np.sum(
                    terms[bounds[j]:stops[j]])))

        # numpy's sorts and array operations release the GIL: chunks of
        # classes run in parallel threads (each writes its own classes)
        starts0 = range(0, num_classes, step)
        workers = min(len(starts0), _cpu_count())
        if workers > 1:
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(chunk, starts0))
        else:
            for c0 in starts0:
                chunk(c0)
        return ap

    @staticmethod
    def threshold_metrics(scores: np.ndarray, labels: np.ndarray,
                          thr: float = 0.5,
                          chunk_elements: int = 1 << 22) -> Dict[str, float]:
        """CP, CR, CF1, OP, OR, OF1 (percent) at a score threshold.

        Args:
            scores (np.ndarray): (N, C) prediction scores.
            labels (np.ndarray): (N, C) binary targets.
            thr (float): Scores ``>= thr`` are predicted positives.
            chunk_elements (int): Elements compared at once (rows are taken
                in chunks, so memory stays O(C) beyond the inputs).
        """
        n, num_classes = scores.shape
        tp = np.zeros(num_classes, dtype=np.int64)
        pred = np.zeros(num_classes, dtype=np.int64)
        pos = np.zeros(num_classes, dtype=np.int64)
        step = max(1, chunk_elements // max(num_classes, 1))
        for r0 in range(0, n, step):
            p = scores[r0:r0 + step] >= thr
            y = labels[r0:r0 + step].astype(bool, copy=False)
            tp += np.count_nonzero(p & y, axis=0)
            pred += np.count_nonzero(p, axis=0)
            pos += np.count_nonzero(y, axis=0)

        def f1(p, r):
            return 2 * p * r / (p + r) if p + r > 0 else 0.0

        cp = float(np.mean(tp / np.maximum(pred, 1)) * 100)
        cr = float(np.mean(tp / np.maximum(pos, 1)) * 100)
        op = float(tp.sum() / max(pred.sum(), 1) * 100)
        o_r = float(tp.sum() / max(pos.sum(), 1) * 100)
        return dict(CP=cp, CR=cr, CF1=f1(cp, cr), OP=op, OR=o_r,
                    OF1=f1(op, o_r))

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
        if self.thr is not None:
            metrics.update(self.threshold_metrics(scores, labels, self.thr))
        metrics['AP_classwise'] = [
            None if np.isnan(a) else round(float(a) * 100, 4) for a in ap
        ]
        return metrics
