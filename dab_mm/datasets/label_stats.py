"""Label statistics of a multi-label dataset: counts and head/middle/tail groups."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from scipy import sparse

GROUP_NAMES = ('head', 'middle', 'tail')


def _num_classes(dataset, num_classes):
    if num_classes is None:
        classes = dataset.metainfo.get('classes')
        if classes is None:
            raise ValueError(
                f'{type(dataset).__name__} has no `classes` in its metainfo; '
                'pass num_classes explicitly.')
        num_classes = len(classes)
    return int(num_classes)


def label_csr(dataset, num_classes: int = None) -> sparse.csr_matrix:
    """Labels of a dataset as loaded, as a sparse (N, C) matrix.

    Memory and time are O(N + non-zeros), never O(N × C). Works for any
    dataset with ``get_cat_ids(idx)`` (mmpretrain datasets and mmengine's
    dataset wrappers) or ``get_data_info(idx)['gt_label']``.

    Args:
        dataset: The dataset.
        num_classes (int, optional): Defaults to ``len(metainfo['classes'])``.

    Returns:
        scipy.sparse.csr_matrix: int64 ones at (image, class), canonical
        (sorted, no duplicates: a class listed twice for one image counts
        once).
    """
    num_classes = _num_classes(dataset, num_classes)
    get = getattr(dataset, 'get_cat_ids', None)
    if get is None:
        get = lambda i: dataset.get_data_info(i)['gt_label']  # noqa: E731
    n = len(dataset)
    cols = [np.asarray(get(i), dtype=np.int64).reshape(-1) for i in range(n)]
    lengths = np.fromiter((len(c) for c in cols), dtype=np.int64, count=n)
    cols = np.concatenate(cols) if n else np.zeros(0, np.int64)
    if cols.size and (cols.min() < 0 or cols.max() >= num_classes):
        rows = np.repeat(np.arange(n), lengths)
        bad = int(rows[(cols < 0) | (cols >= num_classes)][0])
        raise ValueError(
            f'Sample {bad} of {type(dataset).__name__} has label(s) '
            f'{get(bad)} outside [0, {num_classes}).')
    return csr_from_indices(cols, lengths, num_classes)


def csr_from_indices(cols: np.ndarray, lengths: np.ndarray,
                     num_classes: int) -> sparse.csr_matrix:
    """Canonical (N, C) CSR of ones from concatenated per-image class
    indices and the number of indices of each image."""
    indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    m = sparse.csr_matrix(
        (np.ones(len(cols), dtype=np.int64), np.asarray(cols, np.int64),
         indptr), shape=(len(lengths), num_classes))
    m.sum_duplicates()  # sorts the indices; duplicates are summed ...
    m.data[:] = 1       # ... and counted once
    return m


def label_matrix(dataset, num_classes: int = None) -> np.ndarray:
    """Dense multi-hot label matrix of a dataset as loaded.

    O(N × C) memory: for analysis of small datasets. Training code uses
    :func:`.label_csr`.

    Returns:
        np.ndarray: Bool array of shape (N, C).
    """
    return label_csr(dataset, num_classes).toarray().astype(bool)


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
    m = label_csr(dataset, num_classes)
    return np.bincount(m.indices, minlength=m.shape[1]).astype(np.int64)


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


class LabelStats:
    """Label statistics of a training set, handed to losses, heads and
    metrics by :class:`.LabelStatsHook` (``set_label_stats(stats)``).

    Held as a sparse (N, C) label matrix: memory O(N + non-zeros). The
    (C, C) co-occurrence is computed on first use (only ML-GCN needs it) by
    a sparse product.

    Attributes:
        counts (np.ndarray): (C,) int64 n_i, images containing class i.
        num_images (int): N, images in the training set.
        num_classes (int): C.
        class_names (tuple[str], optional): Class names, index order.
        labels (scipy.sparse.csr_matrix): (N, C) ones at (image, class).
    """

    def __init__(self, labels: sparse.csr_matrix,
                 class_names: Optional[Sequence[str]] = None):
        labels = sparse.csr_matrix(labels)
        if not labels.has_canonical_format:
            labels = labels.copy()
            labels.sum_duplicates()
        if labels.nnz and (labels.data != 1).any():
            labels = labels.copy()
            labels.data = (labels.data != 0).astype(np.int64)
            labels.eliminate_zeros()
        if labels.dtype != np.int64:
            labels = labels.astype(np.int64)
        self.labels = labels
        self.num_images = int(labels.shape[0])
        self.num_classes = int(labels.shape[1])
        self.counts = np.bincount(labels.indices,
                                  minlength=self.num_classes).astype(np.int64)
        if class_names is not None and len(class_names) != self.num_classes:
            raise ValueError(f'LabelStats: {len(class_names)} class names for '
                             f'{self.num_classes} classes.')
        self.class_names = tuple(class_names) if class_names else None
        self._cooccurrence = None

    @property
    def cooccurrence_sparse(self) -> sparse.csr_matrix:
        """(C, C) sparse int64: images containing both i and j (the
        diagonal is ``counts``); O(non-zeros of the product)."""
        if self._cooccurrence is None:
            y = self.labels
            self._cooccurrence = (y.T.tocsr() @ y).tocsr()
        return self._cooccurrence

    @property
    def cooccurrence(self) -> np.ndarray:
        """(C, C) dense int64 co-occurrence (see :attr:`cooccurrence_sparse`)."""
        return self.cooccurrence_sparse.toarray()

    def class_images(self) -> list:
        """Per class, the ascending indices of the images that contain it."""
        csc = self.labels.tocsc()
        csc.sort_indices()
        return np.split(csc.indices.astype(np.int64), csc.indptr[1:-1])

    @classmethod
    def from_labels(cls, labels,
                    class_names: Optional[Sequence[str]] = None
                    ) -> 'LabelStats':
        """From an (N, C) multi-hot matrix, dense or scipy sparse."""
        if sparse.issparse(labels):
            return cls(labels, class_names)
        y = np.asarray(labels)
        if y.ndim != 2:
            raise ValueError(f'LabelStats.from_labels: expected an (N, C) '
                             f'matrix, got shape {y.shape}.')
        return cls(sparse.csr_matrix(y != 0, dtype=np.int64), class_names)

    @classmethod
    def from_dataset(cls, dataset) -> 'LabelStats':
        """From a dataset as loaded (see :func:`.label_csr`)."""
        return cls(label_csr(dataset), dataset.metainfo.get('classes'))
