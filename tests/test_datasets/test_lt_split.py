"""The long-tailed split builder: exact VOC-MLT reproduction, hand-checked
cases, determinism, input formats and the command-line tool."""
import json
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
from scipy.stats import pareto

from dab_mm.datasets import MLTDataset, class_counts, packaged_annotation
from dab_mm.datasets.lt_split import (build_long_tailed_split,
                                      cooccurrence_visit_order,
                                      pareto_target_counts)
from dab_mm.datasets.mlt_annotations import (LabelTable,
                                             read_annotation_table,
                                             read_coco_table, read_npz_table,
                                             read_terse_table, read_voc_table)
from dab_mm.datasets.mlt_reference import (label_digest,
                                           load_mlt_reference,
                                           voc2012_table_path)
from tests.fake_data import (REPO, VOC_COUNTS, make_reference_copies,
                             write_voc_xml)

TOOL = 'tools/dataset_converters/build_lt_split.py'

# Rows of the hand-checked table (classes a, b, c):
#   0: a   1: a   2: a b   3: b   4: c   5: a c
HAND = np.array([[1, 0, 0], [1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1],
                 [1, 0, 1]], dtype=bool)


def run_tool(*args):
    proc = subprocess.run([sys.executable, TOOL, *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc.stdout


def load(path):
    with open(path) as f:
        return json.load(f)


def readme_command(prefix):
    """The data-preparation guide's command line that starts with
    ``prefix``, as arguments (without ``python`` and the tool), and its
    ``--out`` value."""
    guide = osp.join(REPO, 'docs', 'user_guides', 'data_preparation.md')
    with open(guide) as f:
        lines = [x.strip() for x in f if x.strip().startswith(prefix)]
    assert len(lines) == 1, f'{guide}: {len(lines)} lines start with {prefix}'
    args = lines[0].split()[2:]
    return args, args[args.index('--out') + 1]


def test_reproduces_released_voc_mlt_exactly(tmp_path):
    # The guide's command, as written there (relative paths from the
    # repository root), with the output moved to tmp_path.
    args, readme_out = readme_command(f'python {TOOL} npz ')
    assert readme_out.startswith('work_dirs/')
    out = tmp_path / 'voc'
    args[args.index('--out') + 1] = str(out)
    log = run_tool(*args)
    assert 'groups head 6, middle 6, tail 8' in log
    built = load(out / 'train.json')
    packaged = load(packaged_annotation('voc_mlt_train.json'))
    # Same ids in the same order as the released split, same labels: the
    # digest of the released img_id.txt + class_freq.pkl labels.
    ref = load_mlt_reference()['voc_mlt']['train']
    records = [(d['img_path'], d['gt_label']) for d in built['data_list']]
    assert len(records) == 1142
    assert label_digest(records) == ref['labels_sha256']
    assert built['data_list'] == packaged['data_list']
    assert built['metainfo']['class_counts'] == VOC_COUNTS == ref['class_freq']
    for k in ('head', 'middle', 'tail'):
        assert built['metainfo']['groups'][k] == ref['groups'][k]
    report = load(out / 'train_split.json')
    assert report['params'] == dict(b=6.0, max_count=800, min_count=1,
                                    tail=0.99, seed=0, targets=None,
                                    head_thr=100, tail_thr=20)
    assert sorted(report['targets'], reverse=True) == [
        800, 529, 359, 248, 175, 125, 91, 67, 50, 38, 29, 23, 18, 14, 11, 9,
        7, 6, 5, 4]
    assert report['visit_order'][:3] == [14, 8, 6]  # person, chair, car
    assert report['shortfalls'] == {}
    assert report['num_source_images'] == 11540
    stats = load(out / 'train_stats.json')
    assert stats['class_counts'] == VOC_COUNTS
    assert stats['num_images'] == 1142
    for png in ('train_count_histogram.png', 'train_cooccurrence.png'):
        assert osp.getsize(out / png) > 5000
    # Loadable by the project's dataset classes, counts as built.
    ds = MLTDataset(ann_file=str(out / 'train.json'), check_files=False)
    assert class_counts(ds).tolist() == VOC_COUNTS


def test_pareto_targets_closed_form():
    # Two classes: x = 1 and x = 0.01^(-1/b); pdf(1) = b gives max, the
    # last target is floor(min + (max - min) 0.01^((b + 1) / b)).
    assert pareto_target_counts(2, 6, 800, 1).tolist() == [800, 4]
    assert pareto_target_counts(2, 1, 1000, 10).tolist() == [1000, 10]
    assert pareto_target_counts(3, 2, 100, 0, tail=0.75).tolist() == [
        100, int(100 * (1 + (2 - 1) / 2)**-3), 12]
    # Same as scipy's Pareto density for many settings.
    for c in (5, 20, 80):
        for b in (1.5, 6, 9):
            for mx, mn in ((800, 1), (1200, 1), (300, 20)):
                x = np.linspace(pareto.ppf(0.0, b), pareto.ppf(0.99, b), c)
                ref = (pareto(b).pdf(x) * (mx - mn) / b + mn).astype(int)
                assert pareto_target_counts(c, b, mx, mn).tolist() == \
                    ref.tolist()


def test_pareto_target_errors():
    with pytest.raises(ValueError, match='b must be > 0'):
        pareto_target_counts(5, 0)
    with pytest.raises(ValueError, match='tail must be in'):
        pareto_target_counts(5, tail=1.0)
    with pytest.raises(ValueError, match='min_count <= max_count'):
        pareto_target_counts(5, max_count=3, min_count=5)


def test_visit_order_hand_checked():
    # P(j | i): a -> [1, .25, .25], b -> [.5, 1, 0], c -> [.5, 0, 1];
    # column sums 2, 1.25, 1.25.
    assert cooccurrence_visit_order(HAND).tolist() == [0, 1, 2]
    # c dragged in by both a and b goes first; an empty class comes last.
    y = np.array([[1, 0, 1, 0], [0, 1, 1, 0], [1, 0, 0, 0]])
    assert cooccurrence_visit_order(y).tolist() == [2, 0, 1, 3]


def test_split_hand_checked():
    # a wants 4: all four a-rows {0, 1, 2, 5}; that brings b (row 2) and
    # c (row 5). b wants 1: has it. c wants 2: adds the only free c-row, 4.
    split = build_long_tailed_split(HAND, targets=[4, 1, 2])
    assert sorted(split.indices) == [0, 1, 2, 4, 5]
    assert split.counts.tolist() == [4, 1, 2]
    assert split.targets.tolist() == [4, 1, 2]
    # b wants 0: row 2 is removed, which also lowers a (visited before) to 3.
    split = build_long_tailed_split(HAND, targets=[4, 0, 2])
    assert sorted(split.indices) == [0, 1, 4, 5]
    assert split.counts.tolist() == [3, 0, 2]
    assert split.groups(3, 1) == {'head': [0], 'middle': [2], 'tail': [1]}
    # a wants 5 but only 4 images hold it: all are taken, reported.
    split = build_long_tailed_split(HAND, targets=[5, 1, 2])
    assert split.shortfalls == {0: (5, 4)}
    assert split.counts.tolist() == [4, 1, 2]


def test_split_is_deterministic_per_seed():
    y = read_npz_table(voc2012_table_path()).labels
    a = build_long_tailed_split(y, max_count=300, seed=3)
    b = build_long_tailed_split(y, max_count=300, seed=3)
    c = build_long_tailed_split(y, max_count=300, seed=4)
    assert a.indices == b.indices
    assert a.counts.tolist() == b.counts.tolist()
    assert set(a.indices) != set(c.indices)
    # Targets depend on the visiting order only, not on the seed.
    assert a.targets.tolist() == c.targets.tolist()
    assert a.targets.max() == 300


def test_shipped_voc2012_table(tmp_path):
    table = read_npz_table(voc2012_table_path())
    ref = load_mlt_reference()['voc2012_trainval']
    assert table.labels.shape == (11540, 20) and ref['images'] == 11540
    assert table.labels.sum(0).tolist() == ref['class_freq']
    assert table.labels.sum(0).tolist()[:3] == [676, 571, 773]
    assert label_digest(table.records()) == ref['labels_sha256']
    assert table.img_paths[0] == 'VOC2012/JPEGImages/2008_000002.jpg'
    assert table.classes[14] == 'person'
    # The DB-Loss pickle format of the same table reads the same.
    copies = make_reference_copies(str(tmp_path / 'copies'))
    terse = read_terse_table(osp.join(copies, 'voc', 'terse_gt_2012.pkl'))
    assert terse.img_paths == table.img_paths
    assert np.array_equal(terse.labels, table.labels)


def test_npz_table_round_trip_and_errors(tmp_path):
    t = LabelTable(['x/a.jpg', 'x/b.jpg', 'c.jpg'], HAND[:3], ('a', 'b', 'c'),
                   'hand-made')
    t.save_npz(str(tmp_path / 't.npz'))
    back = read_npz_table(str(tmp_path / 't.npz'))
    assert back.img_paths == t.img_paths and back.classes == t.classes
    assert np.array_equal(back.labels, t.labels) and back.source == 'hand-made'
    bad = tmp_path / 'cut.npz'
    bad.write_bytes((tmp_path / 't.npz').read_bytes()[:60])
    with pytest.raises(ValueError, match='cut.npz.*truncated'):
        read_npz_table(str(bad))
    np.savez(tmp_path / 'other.npz', x=np.zeros(2))
    with pytest.raises(ValueError, match='other.npz: not a label table'):
        read_npz_table(str(tmp_path / 'other.npz'))
    with pytest.raises(FileNotFoundError, match='nope.npz'):
        read_npz_table(str(tmp_path / 'nope.npz'))


def test_split_input_errors():
    with pytest.raises(ValueError, match=r'\(N, C\) matrix'):
        build_long_tailed_split(np.zeros(5))
    with pytest.raises(ValueError, match='multi-hot'):
        build_long_tailed_split(np.full((2, 2), 2))
    with pytest.raises(ValueError, match='3 counts >= 0'):
        build_long_tailed_split(HAND, targets=[1, 2])


def test_tool_on_text_annotation_file(tmp_path):
    ann = tmp_path / 'full.txt'
    lines = ['img/%d.jpg %s' % (i, ' '.join(np.array(['a', 'b', 'c'])[r]))
             for i, r in enumerate(HAND)] + ['img/6.jpg']  # no label
    ann.write_text('\n'.join(lines) + '\n')
    (tmp_path / 'classes.txt').write_text('a\nb\nc\n')
    table = read_annotation_table(str(ann), str(tmp_path / 'classes.txt'))
    assert table.img_paths[2] == 'img/2.jpg'
    assert table.labels[:6].tolist() == HAND.tolist()
    out = tmp_path / 'out'
    # Pareto targets for 3 classes, max 4, min 1: [4, 1, 1].
    run_tool('ann', ann, '--classes', tmp_path / 'classes.txt', '--out', out,
             '--max', 4, '--head-thr', 4, '--tail-thr', 2, '--write-rest')
    report = load(out / 'train_split.json')
    assert report['targets'] == [4, 1, 1]
    # All a-rows are taken; they hold one b and one c: nothing else changes.
    built = load(out / 'train.json')
    assert sorted(d['img_path'] for d in built['data_list']) == [
        'img/0.jpg', 'img/1.jpg', 'img/2.jpg', 'img/5.jpg']
    assert built['metainfo']['class_counts'] == [4, 1, 1]
    assert built['metainfo']['groups'] == {'head': [0], 'middle': [],
                                           'tail': [1, 2]}
    rest = load(out / 'train_rest.json')  # the unlabelled img/6 is left out
    assert [d['img_path'] for d in rest['data_list']] == ['img/3.jpg',
                                                          'img/4.jpg']
    run_tool('ann', ann, '--classes', tmp_path / 'classes.txt', '--out',
             tmp_path / 'all', '--convert-only', '--name', 'test')
    assert len(load(tmp_path / 'all' / 'test.json')['data_list']) == 7


def test_voc_and_coco_sources(tmp_path):
    year = tmp_path / 'VOCdevkit' / 'VOC2012'
    (year / 'ImageSets' / 'Main').mkdir(parents=True)
    (year / 'ImageSets' / 'Main' / 'trainval.txt').write_text('x1\nx2\n')
    write_voc_xml(str(year / 'Annotations' / 'x1.xml'), 'x1',
                  ['dog', 'person', 'dog'], difficult=(1, ))
    write_voc_xml(str(year / 'Annotations' / 'x2.xml'), 'x2', ['cat'])
    table = read_voc_table(str(year))
    assert table.img_paths == ['VOC2012/JPEGImages/x1.jpg',
                               'VOC2012/JPEGImages/x2.jpg']
    assert [np.flatnonzero(r).tolist() for r in table.labels] == [[11, 14],
                                                                 [7]]
    write_voc_xml(str(year / 'Annotations' / 'x2.xml'), 'x2', ['kitten'])
    with pytest.raises(ValueError, match=r"x2.xml: unknown VOC class 'kitten'"):
        read_voc_table(str(year))

    coco = dict(
        images=[dict(id=5, file_name='a.jpg'), dict(id=9, file_name='b.jpg'),
                dict(id=2, file_name='c.jpg')],
        categories=[dict(id=7, name='fish'), dict(id=3, name='boat')],
        annotations=[
            dict(image_id=5, category_id=7, bbox=[0, 0, 4, 4], area=16),
            dict(image_id=5, category_id=3, bbox=[0, 0, 4, 4], area=16),
            dict(image_id=9, category_id=7, bbox=[0, 0, 0.5, 4], area=2),
            dict(image_id=2, category_id=3, bbox=[0, 0, 4, 4], area=16,
                 iscrowd=1)])
    path = tmp_path / 'instances_train2031.json'
    path.write_text(json.dumps(coco))
    table = read_coco_table(str(path))
    assert table.classes == ('boat', 'fish')  # ascending category id
    assert table.img_paths == ['train2031/a.jpg', 'train2031/b.jpg',
                               'train2031/c.jpg']
    # b.jpg's only box is narrower than 1 px: an all-negative row.
    assert table.labels.astype(int).tolist() == [[1, 1], [0, 0], [1, 0]]
    with pytest.raises(ValueError, match='differ from the 2 expected'):
        read_coco_table(str(path), classes=['fish', 'boat'])
    coco['annotations'].append(dict(image_id=4, category_id=3,
                                    bbox=[0, 0, 4, 4], area=16))
    path.write_text(json.dumps(coco))
    with pytest.raises(ValueError, match=r'annotations\[4\] refers to image '
                       'id 4'):
        read_coco_table(str(path))
