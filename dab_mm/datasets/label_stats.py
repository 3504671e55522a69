"""Label statistics of a multi-label dataset: counts and head/middle/tail groups."""
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

GROUP_NAMES = ('head', 'middle', 'tail')


def label_matrix(dataset, num_classes: int = None) -> np.ndarray:
    """Multi-hot label matrix of a dataset as loaded.

    Works for any dataset with ``get_cat_ids(idx)`` (mmpretrain datasets and
    mmengine's dataset wrappers) or ``get_data_info(idx)['gt_label']``.

    Args:
        dataset: The dataset.
        num_classes (int, optional): Defaults to ``len(metainfo['classes'])``.

    Returns:
        np.ndarray: Bool array of shape (N, C).
    """
    if num_classes is None:
        classes = dataset.metainfo.get('classes')
        if classes is None:
            raise ValueError(
                f'{type(dataset).__name__} has no `classes` in its metainfo; '
                'pass num_classes explicitly.')
        num_classes = len(classes)
    get = getattr(dataset, 'get_cat_ids', None)
    if get is None:
        get = lambda i: dataset.get_data_info(i)['gt_label']  # noqa: E731
    n = len(dataset)
    rows, cols = [], []
    for i in range(n):
        ids = np.asarray(get(i), dtype=np.int64).reshape(-1)
        rows.append(np.full(ids.shape, i, dtype=np.int64))
        cols.append(ids)
    rows = np.concatenate(rows) if rows else np.zeros(0, np.int64)
    cols = np.concatenate(cols) if cols else np.zeros(0, np.int64)
    if cols.size and (cols.min() < 0 or cols.max() >= num_classes):
        bad = int(rows[(cols < 0) | (cols >= num_classes)][0])
        raise ValueError(
            f'Sample {bad} of {type(dataset).__name__} has label(s) '
            f'{get(bad)} outside [0, {num_classes}).')
    labels = np.zeros((n, num_classes), dtype=bool)
    labels[rows, cols] = True
    return labels


def build_label_dataset(dataset_cfg: dict):
    """Build a dataset from its config for its labels only: no transforms
    and, for :class:`MLTDataset` and subclasses, no image-file check (so it
    works where the images are not, e.g. for analysis or tests).

    Args:
        dataset_cfg (dict): E.g. ``cfg.train_dataloader.dataset``.
    """
    import copy

    from mmpretrain.registry import DATASETS

    from .mlt_dataset import MLTDataset
    ds_cfg = copy.deepcopy(dict(dataset_cfg))
    if 'pipeline' in ds_cfg:
        ds_cfg['pipeline'] = []
    ds_type = ds_cfg.get('type')
    if isinstance(ds_type, str):
        ds_type = DATASETS.get(ds_type)
    if isinstance(ds_type, type) and issubclass(ds_type, MLTDataset):
        ds_cfg['check_files'] = False
    return DATASETS.build(ds_cfg)


def class_counts(dataset, num_classes: int = None) -> np.ndarray:
    """n_i: number of images of the dataset that contain class i."""
    return label_matrix(dataset, num_classes).sum(0).astype(np.int64)


def class_groups(counts: Sequence[int],
                 head_thr: int = 100,
                 tail_thr: int = 20) -> Dict[str, List[int]]:
    """Split classes by training count: head n >= head_thr, middle
    tail_thr <= n < head_thr, tail n < tail_thr (the MLT benchmarks' rule).

    Returns:
        dict: ``{'head': [...], 'middle': [...], 'tail': [...]}`` class
        indices, ascending.
    """
    if tail_thr > head_thr:
        raise ValueError(f'tail_thr ({tail_thr}) must not exceed head_thr '
                         f'({head_thr}).')
    counts = np.asarray(counts)
    return {
        'head': np.flatnonzero(counts >= head_thr).tolist(),
        'middle':
        np.flatnonzero((counts >= tail_thr) & (counts < head_thr)).tolist(),
        'tail': np.flatnonzero(counts < tail_thr).tolist(),
    }


@dataclass(frozen=True)
class LabelStats:
    """Label statistics of a training set, handed to losses, heads and
    metrics by :class:`LabelStatsHook` (``set_label_stats(stats)``).

    Attributes:
        counts (np.ndarray): (C,) n_i, images containing class i.
        cooccurrence (np.ndarray): (C, C) images containing both i and j
            (the diagonal is ``counts``).
        num_images (int): N, images in the training set.
        class_names (tuple[str], optional): Class names, index order.
    """
    counts: np.ndarray
    cooccurrence: np.ndarray
    num_images: int
    class_names: Optional[Tuple[str, ...]] = None

    @classmethod
    def from_labels(cls, labels: np.ndarray,
                    class_names: Optional[Sequence[str]] = None
                    ) -> 'LabelStats':
        """From an (N, C) multi-hot matrix."""
        y = np.asarray(labels).astype(np.int64)
        return cls(counts=y.sum(0), cooccurrence=y.T @ y,
                   num_images=int(y.shape[0]),
                   class_names=tuple(class_names) if class_names else None)

    @classmethod
    def from_dataset(cls, dataset) -> 'LabelStats':
        """From a dataset as loaded (see :func:`label_matrix`)."""
        return cls.from_labels(label_matrix(dataset),
                               dataset.metainfo.get('classes'))
