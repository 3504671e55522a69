"""Long-tailed subsets of multi-label datasets (the MLT split procedure).

The procedure of Wu et al. (ECCV 2020, section 5.1 and the appendix of the
Distribution-Balanced Loss paper) that made VOC-MLT and COCO-MLT, written
from its description:

1. Target counts: a Pareto density with shape ``b`` evaluated at ``C``
   equally spaced points between its 0 and ``tail`` (0.99) quantiles, scaled
   from ``[0, b]`` (the density's range there) to ``[min, max]`` and
   truncated to integers. The first target is ``max``.
2. Visiting order: classes by descending column sum of the conditional
   co-occurrence matrix ``P(j | i) = co[i, j] / n_i`` (how often class j is
   dragged in by the other classes); the k-th class visited gets the k-th
   target. Classes that co-occur a lot are visited first, so the images they
   bring with them are counted before the rarer classes are filled.
3. For each class in turn: if the subset holds more images of it than its
   target, remove surplus images drawn at random from those holding it; if
   fewer, add images drawn at random from the not yet selected images
   holding it. Later removals can lower the counts of classes visited
   earlier; that is part of the procedure.

Random draws use Python's :class:`random.Random` seeded once and
``sample(tuple(s), k)`` on Python sets built in a fixed order, which is what
``random.sample`` did with sets before Python 3.11 refused them. With the
reference settings (b 6, max 800, min 1, seed 0) this reproduces the released
VOC-MLT exactly, ids and their order included, from the full VOC2012 label
table (see the tests).
"""
import random
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from .label_stats import class_groups


def pareto_target_counts(num_classes: int,
                         b: float = 6.0,
                         max_count: int = 800,
                         min_count: int = 1,
                         tail: float = 0.99) -> np.ndarray:
    """Target image count of the k-th visited class.

    ``floor(pdf_b(x_k) * (max - min) / b + min)`` with ``x_k`` equally spaced
    from the 0 to the ``tail`` quantile of a Pareto(b) distribution (support
    ``x >= 1``, ``pdf_b(x) = b x^-(b+1)``, quantile ``(1 - q)^(-1/b)``).

    Args:
        num_classes (int): C.
        b (float): Pareto shape; larger is steeper. Defaults to 6.
        max_count (int): Target of the first class. Defaults to 800.
        min_count (int): Lower end of the scale (the last class gets a bit
            more: ``min + (max - min) (1 - tail)^((b + 1) / b)``).
            Defaults to 1.
        tail (float): Upper quantile, in (0, 1). Defaults to 0.99.

    Returns:
        np.ndarray: (C,) int64, non-increasing.
    """
    if num_classes < 1:
        raise ValueError(f'num_classes must be >= 1, got {num_classes}.')
    if not b > 0:
        raise ValueError(f'The Pareto shape b must be > 0, got {b}.')
    if not 0 < tail < 1:
        raise ValueError(f'tail must be in (0, 1), got {tail}.')
    if not 0 <= min_count <= max_count:
        raise ValueError(f'Need 0 <= min_count <= max_count, got min '
                         f'{min_count}, max {max_count}.')
    x = np.linspace(1.0, (1.0 - tail)**(-1.0 / b), num_classes)
    density = b * x**(-(b + 1.0))
    return (density * (max_count - min_count) / b + min_count).astype(np.int64)


def cooccurrence_visit_order(labels: np.ndarray) -> np.ndarray:
    """Classes by descending column sum of ``P(j | i)``.

    Args:
        labels (np.ndarray): (N, C) multi-hot matrix.

    Returns:
        np.ndarray: (C,) class indices. A class without images has an
        all-zero row and column and comes last.
    """
    y = np.asarray(labels).astype(np.float64)
    co = y.T @ y
    n = np.diag(co)
    cond = np.divide(co, n[:, None], out=np.zeros_like(co),
                     where=n[:, None] > 0)
    # numpy's default argsort, as in the reference: ties keep its order.
    return np.argsort(-cond.sum(0))


@dataclass
class LongTailedSplit:
    """The result of :func:`build_long_tailed_split`.

    Attributes:
        indices (list[int]): Selected rows of the label table, in the order
            the reference procedure lists them.
        counts (np.ndarray): (C,) images per class in the subset.
        targets (np.ndarray): (C,) target count of each CLASS (the k-th
            visited class has the k-th Pareto target).
        visit_order (np.ndarray): Classes in the order they were visited.
        shortfalls (dict): ``{class: (target, available)}`` for classes with
            fewer images in the whole table than their target.
        params (dict): The arguments that produced the split.
    """
    indices: List[int]
    counts: np.ndarray
    targets: np.ndarray
    visit_order: np.ndarray
    shortfalls: Dict[int, tuple] = field(default_factory=dict)
    params: dict = field(default_factory=dict)

    def groups(self, head_thr: int = 100, tail_thr: int = 20
               ) -> Dict[str, List[int]]:
        """Head / middle / tail classes by subset count."""
        return class_groups(self.counts, head_thr, tail_thr)


def build_long_tailed_split(labels: np.ndarray,
                            b: float = 6.0,
                            max_count: int = 800,
                            min_count: int = 1,
                            tail: float = 0.99,
                            seed: int = 0,
                            targets: Optional[Sequence[int]] = None
                            ) -> LongTailedSplit:
    """Draw a long-tailed subset of a multi-label dataset.

    Args:
        labels (np.ndarray): (N, C) multi-hot label table of the full set.
        b, max_count, min_count, tail: Target counts, see
            :func:`pareto_target_counts`.
        seed (int): Seed of the random draws. Defaults to 0.
        targets (Sequence[int], optional): Own targets for the k-th visited
            class, instead of the Pareto ones.

    Returns:
        LongTailedSplit: Images without any label are never selected.
    """
    y = np.asarray(labels)
    if y.ndim != 2:
        raise ValueError(f'labels must be an (N, C) matrix, got shape '
                         f'{y.shape}.')
    if y.size and not np.isin(y, (0, 1)).all():
        raise ValueError('labels must be multi-hot (0/1 or bool).')
    y = y.astype(np.int64)
    num_classes = y.shape[1]
    if targets is None:
        rank_targets = pareto_target_counts(num_classes, b, max_count,
                                            min_count, tail)
    else:
        rank_targets = np.asarray(targets, dtype=np.int64).reshape(-1)
        if rank_targets.shape != (num_classes, ) or (rank_targets < 0).any():
            raise ValueError(f'targets must be {num_classes} counts >= 0, '
                             f'got {list(rank_targets)}.')
    order = cooccurrence_visit_order(y)

    rng = random.Random(seed)
    # Rows holding each class, ascending: the sets below are built from these
    # in a fixed order, so their iteration order (what sample() draws from) is
    # reproducible.
    members = [np.flatnonzero(y[:, c]).tolist() for c in range(num_classes)]
    row_classes = {}
    held = [set() for _ in range(num_classes)]  # selected rows per class
    selected = set()
    have = np.zeros(num_classes, dtype=np.int64)
    shortfalls = {}

    def classes_of(row):
        if row not in row_classes:
            row_classes[row] = np.flatnonzero(y[row]).tolist()
        return row_classes[row]

    for rank, c in enumerate(order):
        c = int(c)
        need = int(rank_targets[rank] - have[c])
        if need < 0:
            for row in rng.sample(tuple(held[c]), -need):
                selected.remove(row)
                have -= y[row]
                for k in classes_of(row):
                    held[k].remove(row)
        elif need > 0:
            free = set(members[c]) - held[c]
            if need > len(free):
                shortfalls[c] = (int(rank_targets[rank]), len(members[c]))
                need = len(free)
            for row in rng.sample(tuple(free), need):
                selected.add(row)
                have += y[row]
                for k in classes_of(row):
                    held[k].add(row)

    class_targets = np.zeros(num_classes, dtype=np.int64)
    class_targets[order] = rank_targets
    indices = list(selected)
    return LongTailedSplit(
        indices=indices,
        counts=y[indices].sum(0) if indices else np.zeros(num_classes,
                                                          np.int64),
        targets=class_targets,
        visit_order=order,
        shortfalls=shortfalls,
        params=dict(b=b, max_count=max_count, min_count=min_count, tail=tail,
                    seed=seed,
                    targets=None if targets is None else
                    [int(t) for t in rank_targets]))
