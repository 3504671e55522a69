"""Images that cannot be read are named with their annotation entry, can be
skipped on request, and are all listed by check_dataset.py."""
import os
import os.path as osp

import pytest

from dab_mm.datasets import MLTDataset
from dab_mm.datasets.image_check import image_problem
from tests.fake_data import REPO, make_tiny_fd_mlt

PIPELINE = [dict(type='LoadImageFromFile'), dict(type='PackInputs')]


def spoil(paths):
    """Make the four kinds of unreadable image; returns the expected
    problem of each."""
    missing, empty, truncated, text = paths
    os.remove(missing)
    open(empty, 'wb').close()
    with open(truncated, 'rb') as f:
        head = f.read()[:40]
    with open(truncated, 'wb') as f:
        f.write(head)
    with open(text, 'w') as f:
        f.write('not an image\n')
    return ['missing', 'empty file (0 bytes)',
            'not a decodable image (40 bytes)',
            'not a decodable image (13 bytes)']


@pytest.fixture()
def fd(tmp_path):
    root = str(tmp_path / 'fd')
    make_tiny_fd_mlt(root)
    return root


def dataset(root, **kw):
    return MLTDataset(ann_file='annotations/train.json', data_root=root,
                      pipeline=PIPELINE, **kw)


def test_unreadable_image_is_named_with_its_entry(fd):
    ds = dataset(fd)
    good = ds[5]['data_samples'].img_path
    bad = [ds.get_data_info(i)['img_path'] for i in (1, 2, 3, 4)]
    why = spoil(bad)
    for i, (path, problem) in enumerate(zip(bad, why), start=1):
        assert image_problem(path) == problem
        with pytest.raises(RuntimeError) as e:
            ds[i]
        msg = str(e.value)
        assert path in msg and problem in msg
        assert f'annotations/train.json, data_list[{i}]' in msg
        assert 'tools/analysis_tools/check_dataset.py' in msg
        assert 'skip_unreadable=True' in msg
    assert ds[5]['data_samples'].img_path == good
    assert image_problem(good) is None


def test_skip_unreadable_takes_the_next_readable_sample(fd):
    ds = dataset(fd, skip_unreadable=True)
    bad = [ds.get_data_info(i)['img_path'] for i in (1, 2, 3, 4)]
    spoil(bad)
    # samples 1-4 are all unreadable: each falls through to sample 5
    want = ds.get_data_info(5)['img_path']
    for i in (1, 2, 3, 4, 1):
        assert ds[i]['data_samples'].img_path == want
    assert ds._skipped == set(bad)  # each path logged once


def test_check_dataset_lists_every_problem(fd, capsys):
    import sys
    sys.path.insert(0, osp.join(REPO, 'tools', 'analysis_tools'))
    import check_dataset
    opts = [f'{k}_dataloader.dataset.data_root={fd}'
            for k in ('train', 'val', 'test')]
    ds = dataset(fd)
    bad = [ds.get_data_info(i)['img_path'] for i in (1, 2, 3, 4)]
    why = spoil(bad)
    assert check_dataset.main(['configs/dab/dab_r18w32_fd_mlt.py',
                               '--cfg-options'] + opts) == 1
    out = capsys.readouterr().out
    for i, (path, problem) in enumerate(zip(bad, why), start=1):
        assert (f'{path}: {problem} (listed in {osp.join(fd, "annotations")}'
                f'/train.json, data_list[{i}])') in out
    assert '4 of ' in out and 'cannot be read' in out
    # the test split's images are intact
    assert check_dataset.main(['configs/dab/dab_r18w32_fd_mlt.py', '--splits',
                               'val', '--cfg-options'] + opts) == 0


def test_empty_image_stops_the_build(fd):
    """A 0-byte image is found when the dataset is built (the same stat as
    for a missing one), not only if the sampler happens to draw it."""
    ds = dataset(fd)
    empty = [ds.get_data_info(i)['img_path'] for i in (3, 7)]
    for path in empty:
        open(path, 'wb').close()
    with pytest.raises(ValueError) as e:
        dataset(fd)
    msg = str(e.value)
    assert msg.startswith(f'2 of {len(ds)} images listed in ')
    assert 'are empty files (0 bytes)' in msg
    assert all(p in msg for p in empty)
    assert 'skip_unreadable=True' in msg and 'check_dataset.py' in msg
    # opted in: built, and the empty images are skipped when drawn
    ok = dataset(fd, skip_unreadable=True)
    assert len(ok) == len(ds)
    assert ok[3]['data_samples'].img_path == ok.get_data_info(4)['img_path']
    os.remove(empty[0])
    with pytest.raises(FileNotFoundError, match='1 of .* are missing'):
        dataset(fd, skip_unreadable=True)


def test_missing_annotation_file_names_the_builders(tmp_path):
    with pytest.raises(FileNotFoundError) as e:
        MLTDataset(ann_file='annotations/train.json',
                   data_root=str(tmp_path / 'fd_mlt'), pipeline=PIPELINE)
    msg = str(e.value)
    assert f'"{tmp_path}/fd_mlt/annotations/train.json" does not exist' in msg
    for builder in ('build_fd_mlt.py data/fd_mlt', 'build_mlt_annotations.py',
                    'build_lt_split.py'):
        assert builder in msg
