import filecmp
import json
import os.path as osp

import numpy as np
import pytest

from dab_mm.datasets import (COCO_CATEGORIES, COCOMLT, VOCMLT, MLTDataset,
                             class_counts, class_groups, packaged_annotation)
from dab_mm.datasets.mlt_annotations import (build_coco_mlt_from_json,
                                             build_from_reference,
                                             build_voc_mlt_from_xml)
from mmpretrain.datasets.categories import VOC2007_CATEGORIES
from dab_mm.datasets.mlt_reference import (annotation_records,
                                           derive_mlt_reference, label_digest,
                                           load_mlt_reference,
                                           voc2012_table_path)
from dab_mm.datasets.mlt_annotations import read_npz_table
from tests.fake_data import (REPO, VOC_COUNTS, make_image_tree,
                             make_reference_copies, write_image,
                             write_voc_xml)

VOC_TEST_POS = [205, 250, 289, 176, 240, 183, 775, 332, 545, 127, 247, 433,
                279, 233, 2097, 254, 98, 355, 259, 255]


def sizes(groups):
    return [len(groups[k]) for k in ('head', 'middle', 'tail')]


def load(path):
    with open(path) as f:
        return json.load(f)


@pytest.fixture(scope='module')
def voc_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('VOCdevkit'))
    make_image_tree(root, [packaged_annotation('voc_mlt_train.json'),
                           packaged_annotation('voc_mlt_test.json')])
    return root


@pytest.fixture(scope='module')
def coco_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('coco'))
    make_image_tree(root, [packaged_annotation('coco_mlt_train.json'),
                           packaged_annotation('coco_mlt_test.json')])
    return root


def test_voc_mlt_reference_counts(voc_root):
    train = VOCMLT(data_root=voc_root, split='train')
    assert len(train) == 1142
    counts = class_counts(train)
    ref = load_mlt_reference()['voc_mlt']
    assert counts.tolist() == VOC_COUNTS == ref['train']['class_freq']
    assert sizes(class_groups(counts)) == [6, 6, 8]
    groups = class_groups(counts)
    for k in ('head', 'middle', 'tail'):
        assert groups[k] == ref['train']['groups'][k]
    assert train.metainfo['classes'] == VOC2007_CATEGORIES
    assert train.get_data_info(0)['img_path'] == osp.join(
        voc_root, 'VOC2012/JPEGImages/2008_000023.jpg')
    assert train.get_cat_ids(0) == [4, 14, 19]

    test = VOCMLT(data_root=voc_root, split='test')
    assert len(test) == 4952 and test.test_mode
    assert class_counts(test).tolist() == VOC_TEST_POS == \
        ref['test']['class_freq']


def test_coco_mlt_reference_counts(coco_root):
    train = COCOMLT(data_root=coco_root, split='train')
    assert len(train) == 1909
    counts = class_counts(train)
    ref = load_mlt_reference()['coco_mlt']
    assert counts.tolist() == ref['train']['class_freq']
    assert (counts.max(), counts.min()) == (1128, 6)
    groups = class_groups(counts)
    assert sizes(groups) == [22, 33, 25]
    assert groups == ref['train']['groups']
    test = COCOMLT(data_root=coco_root, split='test')
    assert len(test) == 5000
    labels_per_img = [len(test.get_cat_ids(i)) for i in range(len(test))]
    assert labels_per_img.count(0) == 48
    assert class_counts(test)[0] == 2693


def test_packaged_files_match_released_labels():
    """The shipped annotation files carry the released labels: their digests
    equal those derived from the released split files (mlt_reference.json),
    image order included."""
    ref = load_mlt_reference()
    for name in ('voc', 'coco'):
        for split in ('train', 'test'):
            records = annotation_records(
                packaged_annotation(f'{name}_mlt_{split}.json'))
            facts = ref[f'{name}_mlt'][split]
            assert len(records) == facts['images']
            assert label_digest(records) == facts['labels_sha256'], \
                (name, split)
    assert {s['file']: s['md5'] for s in ref['sources']}[
        'voc/terse_gt_2012.pkl'] == '7201814d7ae7f652b464fa23dc5645ee'


def test_label_digest_closed_form():
    import hashlib
    expect = hashlib.sha256(b'2008_000023 4 14 19\n000001\n').hexdigest()
    assert label_digest([('VOC2012/JPEGImages/2008_000023.jpg', [19, 4, 14]),
                         ('a/000001.png', [])]) == expect


@pytest.fixture(scope='module')
def reference_copies(tmp_path_factory):
    return make_reference_copies(str(tmp_path_factory.mktemp('copies')))


def test_reference_builder_reproduces_packaged_files(reference_copies,
                                                     tmp_path):
    # Copies of the released files in their formats (pickles, id lists,
    # CPRFL lists in another order), re-serialised from the shipped facts.
    out = build_from_reference(reference_copies, str(tmp_path))
    for name, path in out.items():
        assert filecmp.cmp(path, packaged_annotation(f'{name}.json'),
                           shallow=False), name


def test_derive_script_reproduces_shipped_facts(reference_copies, tmp_path):
    import subprocess
    import sys
    proc = subprocess.run(
        [sys.executable, 'tools/dataset_converters/derive_reference_facts.py',
         reference_copies, '--out', str(tmp_path)], cwd=REPO,
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = load(tmp_path / 'mlt_reference.json')
    shipped = load_mlt_reference()
    # The copies are not byte-identical to the released files, so only the
    # list of source files, not their sizes / checksums, can match.
    assert [s['file'] for s in got.pop('sources')] == \
        [s['file'] for s in shipped.pop('sources')]
    assert got == shipped
    a = read_npz_table(str(tmp_path / 'voc2012_trainval_labels.npz'))
    b = read_npz_table(voc2012_table_path())
    assert a.img_paths == b.img_paths and a.classes == b.classes
    assert np.array_equal(a.labels, b.labels) and a.source == b.source
    # A missing copy is named with where it comes from.
    import shutil
    broken = tmp_path / 'broken'
    shutil.copytree(reference_copies, broken)
    (broken / 'coco' / 'class_split.pkl').unlink()
    with pytest.raises(FileNotFoundError,
                       match='coco/class_split.pkl.*longtail2017'):
        derive_mlt_reference(str(broken), str(tmp_path / 'x'))


def _records(path):
    return [(d['img_path'], d['gt_label']) for d in load(path)['data_list']]


def test_build_voc_from_xml(tmp_path):
    devkit = tmp_path / 'VOCdevkit'
    train = _records(packaged_annotation('voc_mlt_train.json'))
    test = _records(packaged_annotation('voc_mlt_test.json'))
    for split_year, records in (('VOC2012', train), ('VOC2007', test)):
        for k, (img, labels) in enumerate(records):
            img_id = osp.splitext(osp.basename(img))[0]
            # each class once or twice; every third image's first object is
            # "difficult", which must still count as a positive
            names = [VOC2007_CATEGORIES[c] for c in labels for _ in
                     range(1 + (c + k) % 2)]
            write_voc_xml(str(devkit / split_year / 'Annotations' /
                              f'{img_id}.xml'), img_id, names,
                          difficult=(0, ) if k % 3 == 0 else ())
    ids = [osp.splitext(osp.basename(p))[0] for p, _ in test]
    main = devkit / 'VOC2007' / 'ImageSets' / 'Main'
    main.mkdir(parents=True)
    (main / 'test.txt').write_text('\n'.join(ids) + '\n')
    out = build_voc_mlt_from_xml(str(devkit), str(tmp_path / 'ann'))
    assert _records(out['voc_mlt_train']) == train
    assert _records(out['voc_mlt_test']) == test
    # and the dataset loads them, reproducing the reference counts
    make_image_tree(str(devkit), [out['voc_mlt_train']])
    ds = VOCMLT(data_root=str(devkit), ann_file=out['voc_mlt_train'])
    assert class_counts(ds).tolist() == VOC_COUNTS


def test_build_coco_from_json(tmp_path):
    train = _records(packaged_annotation('coco_mlt_train.json'))
    test = _records(packaged_annotation('coco_mlt_test.json'))
    cat_ids = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19,
               20, 21, 22, 23, 24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38,
               39, 40, 41, 42, 43, 44, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55,
               56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70, 72, 73, 74, 75,
               76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90]
    # categories listed in shuffled order: the index is by ascending id
    rng = np.random.default_rng(0)
    categories = [dict(id=i, name=n) for i, n in zip(cat_ids, COCO_CATEGORIES)]
    categories = [categories[i] for i in rng.permutation(80)]

    def instances(records, extra):
        images, anns = [], []
        for img, labels in records + extra:
            img_id = int(osp.splitext(osp.basename(img))[0])
            images.append(dict(id=img_id, file_name=osp.basename(img)))
            for c in labels:
                anns.append(dict(id=len(anns), image_id=img_id,
                                 category_id=cat_ids[c], area=10.0,
                                 bbox=[0, 0, 4, 4], iscrowd=int(c % 5 == 0)))
            # annotations that must be skipped
            free = [c for c in range(80) if c not in labels][:3]
            for c, (area, bbox, ign) in zip(free, [(0, [0, 0, 4, 4], 0),
                                                  (5, [0, 0, 0.5, 4], 0),
                                                  (5, [0, 0, 4, 4], 1)]):
                ann = dict(id=len(anns), image_id=img_id, iscrowd=0,
                           category_id=cat_ids[c], area=area, bbox=bbox)
                if ign:
                    ann['ignore'] = 1
                anns.append(ann)
        return dict(images=images, annotations=anns, categories=categories)

    ann_dir = tmp_path / 'coco' / 'annotations'
    ann_dir.mkdir(parents=True)
    not_mlt = [('train2017/999999999999.jpg', [0, 1])]
    (ann_dir / 'instances_train2017.json').write_text(
        json.dumps(instances(train, not_mlt)))
    (ann_dir / 'instances_val2017.json').write_text(
        json.dumps(instances(test, [])))
    out = build_coco_mlt_from_json(str(tmp_path / 'coco'), str(tmp_path / 'o'))
    assert sorted(_records(out['coco_mlt_train'])) == sorted(train)
    assert _records(out['coco_mlt_test']) == test


# ----------------------------------------------------------------- errors
def test_missing_image_names_path(tmp_path):
    ann = tmp_path / 'a.txt'
    ann.write_text('x/one.jpg 0\nx/two.jpg 1\n')
    write_image(str(tmp_path / 'x' / 'one.jpg'))
    with pytest.raises(FileNotFoundError, match=r'(?s)1 of 2 images.*x/two\.jpg'):
        MLTDataset(ann_file=str(ann), data_root=str(tmp_path),
                   classes=['a', 'b'])
    ds = MLTDataset(ann_file=str(ann), data_root=str(tmp_path),
                    classes=['a', 'b'], check_files=False)
    assert len(ds) == 2


def test_missing_annotation_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.json'):
        VOCMLT(data_root=str(tmp_path), ann_file=str(tmp_path / 'nope.json'))


def test_truncated_annotation_files_are_named(tmp_path):
    """A cut-off or invalid JSON / YAML / pickle annotation file is reported
    with its path and the position of the error, not a bare parse error."""
    full = open(packaged_annotation('voc_mlt_train.json')).read()
    cut = tmp_path / 'cut.json'
    cut.write_text(full[:5000])
    with pytest.raises(ValueError, match=r'cut\.json: not valid JSON \(.* at '
                       r'line \d+, column \d+\)\. The file may be truncated'):
        VOCMLT(ann_file=str(cut), check_files=False)
    bad_yaml = tmp_path / 'bad.yaml'
    bad_yaml.write_text('metainfo: {classes: [a, b]\ndata_list: [\n')
    with pytest.raises(ValueError, match=r'bad\.yaml: not valid YAML'):
        MLTDataset(ann_file=str(bad_yaml), check_files=False)
    bad_pkl = tmp_path / 'bad.pkl'
    bad_pkl.write_bytes(b'\x80\x04\x95')
    with pytest.raises(ValueError, match=r'bad\.pkl: not a readable pickle'):
        MLTDataset(ann_file=str(bad_pkl), check_files=False)
    # COCO instances JSON for the converters, and metric files
    from dab_mm.datasets.mlt_annotations import read_coco_table
    from dab_mm.evaluation.comparison import load_metrics
    coco = tmp_path / 'instances_train.json'
    coco.write_text('{"images": [{"id": 1, "file_name": "a.jpg"}], "annot')
    with pytest.raises(ValueError, match=r'instances_train\.json: not valid '
                       r'JSON .* line 1, column'):
        read_coco_table(str(coco))
    metrics = tmp_path / 'metrics.json'
    metrics.write_text('{"mlt/mAP": 51.2, ')
    with pytest.raises(ValueError, match=r'metrics\.json: not valid JSON.*'
                       r'Re-run tools/test.py'):
        load_metrics(str(metrics))


def test_label_out_of_range_names_file_and_line(tmp_path):
    ann = tmp_path / 'a.txt'
    ann.write_text('# comment\nimg1.jpg 0 1\n\nimg2.jpg 2 5\n')
    with pytest.raises(ValueError, match=r'a\.txt, line 4: label 5 is out of range'):
        MLTDataset(ann_file=str(ann), classes=['a', 'b', 'c'],
                   check_files=False)


def test_unknown_class_name_names_file_and_line(tmp_path):
    ann = tmp_path / 'a.txt'
    ann.write_text('img1.jpg cat traffic_light\nimg2.jpg dog zebra\n')
    with pytest.raises(ValueError, match=r"line 2: unknown class name 'zebra'"):
        MLTDataset(ann_file=str(ann), classes=['cat', 'dog', 'traffic light'],
                   check_files=False)
    ann.write_text('img1.jpg cat traffic_light\n')
    ds = MLTDataset(ann_file=str(ann), classes=['cat', 'dog', 'traffic light'],
                    check_files=False)
    assert ds.get_cat_ids(0) == [0, 2]


def test_json_errors(tmp_path):
    ann = tmp_path / 'a.json'
    ann.write_text(json.dumps(dict(metainfo=dict(classes=['a', 'b']),
                                   data_list=[dict(img_path='1.jpg',
                                                   gt_label=[0]),
                                              dict(img_path='2.jpg',
                                                   gt_label=[1, 2])])))
    with pytest.raises(ValueError, match=r'data_list\[1\]: label 2'):
        MLTDataset(ann_file=str(ann), check_files=False)
    with pytest.raises(ValueError, match='differ from the dataset'):
        VOCMLT(ann_file=str(ann), check_files=False)


def test_no_classes_error(tmp_path):
    ann = tmp_path / 'a.txt'
    ann.write_text('img1.jpg 0\n')
    with pytest.raises(ValueError, match='no class list'):
        MLTDataset(ann_file=str(ann), check_files=False)


def test_bad_split():
    with pytest.raises(ValueError, match='split must be one of'):
        VOCMLT(split='val')
