"""VOC-MLT-FD / COCO-MLT-FD: the label vectors are the benchmarks', every
canvas shows exactly its labels' photos, no photo is used twice."""
import collections
import filecmp
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from dab_mm.datasets import MLTDataset, packaged_annotation
from dab_mm.datasets.mlt_annotations import read_npz_table
from dab_mm.datasets.mlt_fd import (PHOTO_CLASSES, TINTS, build_mlt_fd,
                                    grid_for)
from tests.fake_data import fake_photos, make_idx_folder

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


@pytest.fixture(scope='module')
def sources():
    return fake_photos((6000, 1000), 0), fake_photos((250, 250), 1)


@pytest.fixture(scope='module')
def built(sources, tmp_path_factory):
    fashion, digits = sources
    out = {}
    for kind in ('voc', 'coco'):
        root = str(tmp_path_factory.mktemp(kind))
        out[kind] = (root, build_mlt_fd(kind, root, fashion, digits, seed=0))
    return out


def records(path):
    with open(path) as f:
        data = json.load(f)
    return data['metainfo'], [(osp.splitext(osp.basename(d['img_path']))[0],
                               d['gt_label']) for d in data['data_list']]


@pytest.mark.parametrize('kind', ['voc', 'coco'])
def test_train_and_test_labels_are_the_benchmarks(built, kind):
    root, out = built[kind]
    for split in ('train', 'test'):
        meta, mine = records(out[split])
        ref_meta, ref = records(packaged_annotation(f'{kind}_mlt_{split}.json'))
        assert meta['classes'] == ref_meta['classes']
        assert mine == ref  # same ids, same order, same label vectors
    stats = json.load(open(out['stats']))
    # the benchmarks' own sizes and groups (head >= 100, tail < 20)
    expected = dict(voc=(1142, 4952, [6, 6, 8]), coco=(1909, 5000, [22, 33, 25]))
    n_train, n_test, groups = expected[kind]
    assert stats['train']['num_images'] == n_train
    assert stats['test']['num_images'] == n_test
    assert [len(stats['groups'][g]) for g in ('head', 'middle', 'tail')] \
        == groups


def test_voc_validation_is_voc2012_outside_voc_mlt(built):
    _, out = built['voc']
    _, val = records(out['val'])
    _, train = records(out['train'])
    table = read_npz_table(packaged_annotation('voc2012_trainval_labels.npz'))
    rows = {osp.splitext(osp.basename(p))[0]: np.flatnonzero(lbl).tolist()
            for p, lbl in zip(table.img_paths, table.labels)}
    assert len(val) == 2000 and len({i for i, _ in val}) == 2000
    assert not {i for i, _ in val} & {i for i, _ in train}
    for img_id, labels in val:
        assert rows[img_id] == labels


def test_coco_validation_draws_test_label_vectors(built):
    _, out = built['coco']
    _, val = records(out['val'])
    _, test = records(out['test'])
    assert len(val) == 2000
    test_by_id = dict(test)
    assert all(test_by_id[i] == labels for i, labels in val)
    assert len({i for i, _ in val}) == 2000  # without replacement


def tinted(photo, tint_name, channels):
    if channels == 1:
        return photo
    return np.round(photo[..., None].astype(np.float32) *
                    np.asarray(TINTS[tint_name], np.float32)).astype(np.uint8)


@pytest.mark.parametrize('kind', ['voc', 'coco'])
def test_canvases_show_exactly_their_labels_photos(built, sources, kind):
    root, out = built[kind]
    fashion, digits = sources
    by_source = {'fashion-mnist': fashion, 'digits': digits}
    channels = 1 if kind == 'voc' else 3
    rows, cols = json.load(open(out['stats']))['grid']
    assert (rows, cols) == {'voc': (2, 3), 'coco': (4, 4)}[kind]
    seen, look = set(), {}
    for split in ('train', 'val', 'test'):
        _, recs = records(out[split])
        layout = json.load(open(out[f'{split}_layout']))
        assert len(layout) == len(recs)
        for (img_id, labels), placed in zip(recs, layout):
            assert len(placed) == len(labels)  # one photo per label
            img = cv2.imread(osp.join(root, split, img_id + '.png'),
                             cv2.IMREAD_UNCHANGED)
            assert img.shape == (rows * 32, cols * 32) + (
                (3, ) if channels == 3 else ())
            rest = img.astype(np.int64).copy()
            for c, (photo_id, y, x, tint) in zip(labels, placed):
                assert photo_id not in seen, f'{photo_id} used twice'
                seen.add(photo_id)
                src, file, idx = photo_id.split(':')
                images, cls = by_source[src][file]
                photo_class = (0 if src == 'fashion-mnist' else 10) + int(
                    cls[int(idx)])
                # every photo of class c: one photo class, one tint
                assert look.setdefault(c, (photo_class, tint)) == \
                    (photo_class, tint)
                crop = img[y:y + 28, x:x + 28]
                np.testing.assert_array_equal(
                    crop, tinted(images[int(idx)], tint, channels))
                rest[y:y + 28, x:x + 28] = 0
            assert not rest.any()  # nothing else on the canvas
    # visually distinct classes: no two share a (photo class, tint)
    assert len(set(look.values())) == len(look) == (20 if kind == 'voc' else 80)
    assert all(0 <= p < len(PHOTO_CLASSES) for p, _ in look.values())
    # COCO val2017 has 48 images without labels: empty canvases
    if kind == 'coco':
        _, test = records(out['test'])
        assert sum(1 for _, labels in test if not labels) == 48


def test_same_seed_same_files_other_seed_other_layout(sources, built, tmp_path):
    fashion, digits = sources
    root, a = built['voc']
    b = build_mlt_fd('voc', str(tmp_path / 'b'), fashion, digits, seed=0)
    for key in ('train', 'val', 'test', 'test_layout', 'stats'):
        assert filecmp.cmp(a[key], b[key], shallow=False)
    _, test = records(a['test'])
    for img_id, _ in test[:50]:
        assert filecmp.cmp(osp.join(root, 'test', img_id + '.png'),
                           str(tmp_path / 'b' / 'test' / (img_id + '.png')),
                           shallow=False)
    c = build_mlt_fd('voc', str(tmp_path / 'c'), fashion, digits, seed=1,
                     val_size=100)
    assert not filecmp.cmp(a['train_layout'], c['train_layout'],
                           shallow=False)
    assert records(a['train'])[1] == records(c['train'])[1]  # labels never change
    assert len(records(c['val'])[1]) == 100


def test_too_few_photos_stop_the_build(sources, tmp_path):
    fashion, _ = sources
    few = fake_photos((50, 50), 2)  # 100 digits per class
    with pytest.raises(ValueError, match=r"Photo class 'digit \d' has 100 "
                       r'photos but its classes .* need \d+'):
        build_mlt_fd('voc', str(tmp_path), fashion, few)
    with pytest.raises(ValueError, match='val_size 99999 > the 10398 VOC2012'):
        build_mlt_fd('voc', str(tmp_path), fashion, few, val_size=99999)


def test_grid_for_maximum_labels():
    assert [grid_for(m) for m in (1, 4, 6, 9, 14, 16)] == \
        [(1, 1), (2, 2), (2, 3), (3, 3), (4, 4), (4, 4)]


@pytest.mark.parametrize('kind,num', [('voc', 20), ('coco', 80)])
def test_configs_read_the_proxy(built, kind, num):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import DATASETS
    root, _ = built[kind]
    cfg = Config.fromfile(osp.join(
        REPO, f'configs/erm/erm_effl0_{kind}_mlt_fd.py'))
    init_default_scope('mmpretrain')
    sizes = {}
    for split, loader in (('train', cfg.train_dataloader),
                          ('val', cfg.val_dataloader),
                          ('test', cfg.test_dataloader)):
        ds_cfg = dict(loader.dataset, data_root=root)
        ds = DATASETS.build(ds_cfg)
        assert isinstance(ds, MLTDataset) and len(ds.CLASSES) == num
        sizes[split] = len(ds)
        item = ds[0]
        assert item['inputs'].shape[-2:] == (
            (128, 192) if kind == 'voc' else (128, 128))
    assert sizes == {'voc': dict(train=1142, val=2000, test=4952),
                     'coco': dict(train=1909, val=2000, test=5000)}[kind]


def test_build_tool(tmp_path):
    """The command line, with idx files as --fashion-mnist / --digits."""
    import subprocess
    import sys
    make_idx_folder(str(tmp_path / 'fashion'), per_class=(4000, 500),
                    gz=False)
    make_idx_folder(str(tmp_path / 'digits'), per_class=(250, 250), gz=False,
                    uid_start=100000)
    proc = subprocess.run(
        [sys.executable, 'tools/dataset_converters/build_mlt_fd.py', 'voc',
         str(tmp_path / 'out'), '--fashion-mnist', str(tmp_path / 'fashion'),
         '--digits', str(tmp_path / 'digits'), '--val-size', '500'],
        cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert 'VOC-MLT-FD in' in proc.stdout
    assert '1142 train, 500 val, 4952 test images, 64 x 96 px' in proc.stdout
    assert osp.isfile(tmp_path / 'out' / 'annotations' / 'val.json')
