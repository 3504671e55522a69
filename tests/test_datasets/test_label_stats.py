import numpy as np
import pytest
from scipy import sparse

from dab_mm.datasets import LabelStats, class_counts, label_matrix
from dab_mm.datasets.label_stats import label_csr
from tests.fake_data import voc_mlt_train_labels


class ListDataset:
    def __init__(self, rows, num_classes):
        self.rows = rows
        self.metainfo = dict(classes=[f'c{i}' for i in range(num_classes)])

    def __len__(self):
        return len(self.rows)

    def get_cat_ids(self, i):
        return self.rows[i]


def test_voc_mlt_counts_and_cooccurrence_exact():
    y = voc_mlt_train_labels()
    ds = ListDataset([np.flatnonzero(r).tolist() for r in y], 20)
    stats = LabelStats.from_dataset(ds)
    assert stats.num_images == 1142 and stats.num_classes == 20
    # the released VOC-MLT train counts (person 775, ..., 4 tail images)
    assert stats.counts.tolist() == [
        6, 34, 8, 14, 154, 17, 249, 29, 479, 4, 240, 48, 11, 20, 775, 100, 5,
        82, 7, 64]
    assert stats.counts.dtype == np.int64
    dense = y.astype(np.int64)
    assert np.array_equal(stats.cooccurrence, dense.T @ dense)
    assert np.array_equal(stats.cooccurrence_sparse.toarray(),
                          dense.T @ dense)
    assert np.array_equal(label_matrix(ds), y.astype(bool))
    assert np.array_equal(class_counts(ds), stats.counts)
    imgs = stats.class_images()
    for c in range(20):
        assert np.array_equal(imgs[c], np.flatnonzero(y[:, c]))
    assert stats.class_names == tuple(f'c{i}' for i in range(20))


def test_sparse_input_duplicates_and_empty_rows():
    # image 0 lists class 2 twice; image 1 has no label; class 1 is empty
    ds = ListDataset([[2, 0, 2], [], [0]], 3)
    m = label_csr(ds)
    assert sparse.isspmatrix_csr(m) and m.nnz == 3
    assert m.toarray().tolist() == [[1, 0, 1], [0, 0, 0], [1, 0, 0]]
    stats = LabelStats.from_dataset(ds)
    assert stats.counts.tolist() == [2, 0, 1]
    assert stats.cooccurrence.tolist() == [[2, 0, 1], [0, 0, 0], [1, 0, 1]]
    assert [len(i) for i in stats.class_images()] == [2, 0, 1]
    # from a non-canonical sparse matrix with weights: ones, duplicates once
    raw = sparse.csr_matrix((np.array([3, 1, 1]), np.array([2, 2, 0]),
                             np.array([0, 2, 3])), shape=(2, 3))
    s2 = LabelStats.from_labels(raw)
    assert s2.counts.tolist() == [1, 0, 1]
    assert s2.labels.toarray().tolist() == [[0, 0, 1], [1, 0, 0]]


def test_errors_name_the_sample_and_value():
    with pytest.raises(ValueError, match=r'Sample 1 of ListDataset .*\[0, 3\)'):
        label_csr(ListDataset([[0], [3]], 3))
    with pytest.raises(ValueError, match=r'Sample 0 .*outside'):
        label_csr(ListDataset([[-1]], 3))
    with pytest.raises(ValueError, match='2 class names for 3 classes'):
        LabelStats.from_labels(np.eye(3), class_names=['a', 'b'])
    with pytest.raises(ValueError, match=r'expected an \(N, C\) matrix'):
        LabelStats.from_labels(np.ones(3))
