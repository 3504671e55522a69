import random

import numpy as np
import pytest
import torch

import dab_mm.datasets.samplers.class_aware_sampler as cas_module
from dab_mm.datasets import ClassAwareSampler
from mmpretrain.registry import DATA_SAMPLERS
from tests.fake_data import voc_mlt_train_labels


class ToyDataset:
    def __init__(self, labels):
        self.labels = [np.flatnonzero(r).tolist() for r in labels]
        self.metainfo = dict(classes=[str(i) for i in range(labels.shape[1])])

    def __len__(self):
        return len(self.labels)

    def get_cat_ids(self, i):
        return self.labels[i]


def single_label_dataset(counts):
    rows = []
    for c, n in enumerate(counts):
        for _ in range(n):
            r = np.zeros(len(counts), dtype=int)
            r[c] = 1
            rows.append(r)
    return ToyDataset(np.array(rows))


def voc_dataset():
    return ToyDataset(voc_mlt_train_labels())


def test_registered_and_default_length():
    ds = voc_dataset()
    sampler = DATA_SAMPLERS.build(dict(type='ClassAwareSampler', seed=0),
                                  default_args=dict(dataset=ds))
    assert isinstance(sampler, ClassAwareSampler)
    assert len(sampler) == 775 * 20 // 4 == 3875
    assert len(list(sampler)) == 3875


def test_epoch_length_of_dataset():
    ds = voc_dataset()
    assert len(ClassAwareSampler(ds, num_samples='dataset', seed=0)) == 1142
    with pytest.raises(ValueError, match='num_samples'):
        ClassAwareSampler(ds, num_samples='all', seed=0)


def test_class_frequencies_uniform():
    counts = [500, 120, 40, 9, 2]
    ds = single_label_dataset(counts)
    sampler = ClassAwareSampler(ds, num_samples=5003, seed=1)
    labels = np.array([ds.labels[i][0] for i in sampler])
    freq = np.bincount(labels, minlength=5)
    # a shuffled cycle over classes: every class drawn 5003/5 ± 1 times
    assert freq.max() - freq.min() <= 1 and freq.sum() == 5003


def test_images_cycle_within_class():
    ds = single_label_dataset([30, 7])
    stream = list(ClassAwareSampler(ds, num_samples=28, seed=3))
    of_class_1 = [i for i in stream if ds.labels[i][0] == 1]
    assert len(of_class_1) == 14
    # two full passes over the 7 images of class 1, each a permutation
    assert sorted(of_class_1[:7]) == list(range(30, 37))
    assert sorted(of_class_1[7:]) == list(range(30, 37))


def test_multilabel_every_class_reaches_share():
    ds = voc_dataset()
    sampler = ClassAwareSampler(ds, seed=0)
    labels = np.stack([np.bincount(ds.labels[i], minlength=20) for i in sampler])
    per_class = labels.sum(0)
    # each class is picked total / C times, and its image contains it
    assert per_class.min() >= len(sampler) // 20
    # the tail is far better represented than under uniform sampling
    uniform = np.array([6, 34, 8, 14, 154, 17, 249, 29, 479, 4, 240, 48, 11,
                        20, 775, 100, 5, 82, 7, 64]) / 1142
    assert per_class[9] / len(sampler) > 10 * uniform[9]


def test_deterministic_epoch_dependent_no_global_rng():
    ds = voc_dataset()
    np_state, py_state = np.random.get_state(), random.getstate()
    torch_state = torch.get_rng_state()
    a = ClassAwareSampler(ds, num_samples=500, seed=7)
    b = ClassAwareSampler(ds, num_samples=500, seed=7)
    first = list(a)
    assert first == list(b) == list(a)
    a.set_epoch(1)
    assert list(a) != first
    b.set_epoch(1)
    assert list(a) == list(b)
    assert list(ClassAwareSampler(ds, num_samples=500, seed=8)) != first
    assert np.array_equal(np.random.get_state()[1], np_state[1])
    assert random.getstate() == py_state
    assert torch.equal(torch.get_rng_state(), torch_state)


@pytest.mark.parametrize('total', [1000, 1001])
def test_ranks_disjoint_and_cover_stream(monkeypatch, total):
    ds = voc_dataset()
    full = list(ClassAwareSampler(ds, num_samples=total, seed=5))
    parts = []
    for rank in range(3):
        monkeypatch.setattr(cas_module, 'get_dist_info', lambda r=rank: (r, 3))
        s = ClassAwareSampler(ds, num_samples=total, seed=5)
        s.set_epoch(0)
        parts.append(list(s))
        assert len(s) == len(parts[-1]) == -(-total // 3)
    # rank r holds stream positions r, r+3, ...: disjoint, together the stream
    padded = np.resize(np.array(full), 3 * len(parts[0]))
    for rank in range(3):
        assert parts[rank] == padded[rank::3].tolist()


def test_errors():
    with pytest.raises(ValueError, match='no labelled image'):
        ClassAwareSampler(ToyDataset(np.zeros((3, 2), dtype=int)), seed=0)
    with pytest.raises(ValueError, match='num_samples'):
        ClassAwareSampler(single_label_dataset([2, 2]), num_samples=0, seed=0)
    with pytest.warns(UserWarning, match='1 class'):
        s = ClassAwareSampler(single_label_dataset([3, 0, 2]), num_samples=10,
                              seed=0)
    assert len(list(s)) == 10


def reference_stream(labels, total, seed, epoch):
    """The documented procedure written plainly on a dense matrix, O(C × S):
    shuffled passes over the classes that have images, then, class by class
    in ascending order, shuffled cycles over the class's images filling its
    positions in order."""
    rng = np.random.default_rng([seed, epoch])
    class_images = [np.flatnonzero(col) for col in labels.T]
    classes = np.array([c for c, im in enumerate(class_images) if len(im)])
    passes = -(-total // len(classes))
    seq = np.concatenate([rng.permutation(classes)
                          for _ in range(passes)])[:total]
    stream = np.empty(total, dtype=np.int64)
    for c in classes:
        where = np.flatnonzero(seq == c)
        if len(where):
            imgs = class_images[c]
            cycles = -(-len(where) // len(imgs))
            stream[where] = np.concatenate(
                [rng.permutation(imgs) for _ in range(cycles)])[:len(where)]
    return stream.tolist()


@pytest.mark.parametrize('total,seed,epoch', [(3875, 0, 0), (1001, 5, 3),
                                              (12000, 1, 7)])
def test_stream_equals_plain_reference(total, seed, epoch):
    labels = voc_mlt_train_labels().astype(bool).copy()
    labels[:, 3] = False          # a class without images
    labels[:, 5] = False
    labels[17, 5] = True          # a class with exactly one image
    ds = ToyDataset(labels)
    with pytest.warns(UserWarning, match='1 class'):
        s = ClassAwareSampler(ds, num_samples=total, seed=seed)
    s.set_epoch(epoch)
    assert list(s) == reference_stream(labels, total, seed, epoch)
