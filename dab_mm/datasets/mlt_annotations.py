"""Build VOC-MLT / COCO-MLT annotation files.

Two routes give the same files:

* :func:`build_from_reference` reads the released split files (DB-Loss repo,
  ``appendix/``) and the checked label lists of the CPRFL repo, as copied to
  the project's shared data folder, cross-checking the two;
* :func:`build_voc_mlt_from_xml` / :func:`build_coco_mlt_from_json` read raw
  VOC XML / COCO instances JSON, for users who regenerate the files.

Output: OpenMMLab 2.0 annotation JSON (``metainfo`` + ``data_list``) with one
sample per line, loadable by :class:`VOCMLT`, :class:`COCOMLT` and mmpretrain's
:class:`MultiLabelDataset`.
"""
import json
import os
import os.path as osp
import pickle
import xml.etree.ElementTree as ET
from typing import Dict, List, Optional, Sequence

import numpy as np

from .coco_mlt import COCO_CATEGORIES
from .voc_mlt import VOC2007_CATEGORIES

DB_REPO = ('wutong16/DistributionBalancedLoss @ '
           '14460d0acda6a3e77a8a6a5999b9746243cb1535, appendix/')
CPRFL_REPO = 'jiexuanyan/CPRFL @ 10b5b7c9d91d421d86175b8ccf07f280c1e94cac, data/'


def dump_annotation(path: str, classes: Sequence[str], records: List[tuple],
                    **meta) -> None:
    """Write an OpenMMLab 2.0 annotation file, one sample per line.

    Args:
        path (str): Output ``.json`` path.
        classes (Sequence[str]): Class names, index order.
        records (list[tuple]): ``(img_path, [label indices])`` per sample.
        **meta: Extra metainfo (provenance, split, ...).
    """
    os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
    metainfo = dict(classes=list(classes), **meta)
    lines = [
        json.dumps(dict(img_path=img, gt_label=[int(x) for x in sorted(lbl)]))
        for img, lbl in records
    ]
    with open(path, 'w') as f:
        f.write('{"metainfo": ' + json.dumps(metainfo) + ',\n"data_list": [\n')
        f.write(',\n'.join(lines))
        f.write('\n]}\n')


def _read_label_list(path: str, num_classes: int) -> List[tuple]:
    """Read a CPRFL list: ``<path> <idx> <idx> ...`` per line."""
    out = []
    with open(path) as f:
        for lineno, line in enumerate(f, start=1):
            parts = line.split()
            if not parts:
                continue
            labels = [int(x) for x in parts[1:]]
            bad = [x for x in labels if not 0 <= x < num_classes]
            if bad:
                raise ValueError(f'{path}, line {lineno}: label(s) {bad} out '
                                 f'of range [0, {num_classes}).')
            out.append((parts[0], labels))
    return out


def _load_pickle(path: str):
    with open(path, 'rb') as f:
        return pickle.load(f)


def _check_same(name: str, a: Dict[str, list], b: Dict[str, list]) -> None:
    if set(a) != set(b):
        raise ValueError(f'{name}: the two sources list different images '
                         f'({len(set(a) ^ set(b))} differ).')
    diff = [k for k in a if sorted(a[k]) != sorted(b[k])]
    if diff:
        raise ValueError(f'{name}: labels differ for {len(diff)} images, '
                         f'e.g. {diff[0]}: {a[diff[0]]} vs {b[diff[0]]}.')


def build_from_reference(mlt_dir: str, out_dir: str) -> Dict[str, str]:
    """Build the four MLT annotation files from the released split files.

    Args:
        mlt_dir (str): Folder with ``voc/``, ``coco/`` (DB-Loss appendix
            files) and ``cprfl/`` (CPRFL label lists).
        out_dir (str): Where to write ``{voc,coco}_mlt_{train,test}.json``.

    Returns:
        dict: Output path per file stem.
    """
    j = lambda *p: osp.join(mlt_dir, *p)  # noqa: E731
    outputs = {}

    # VOC-MLT train: ids from img_id.txt, labels from class_freq.pkl (same
    # order), cross-checked against the CPRFL list.
    voc_ids = [x.strip() for x in open(j('voc', 'img_id.txt')) if x.strip()]
    voc_freq = _load_pickle(j('voc', 'class_freq.pkl'))
    voc_labels = [np.flatnonzero(r).tolist() for r in voc_freq['gt_labels']]
    if len(voc_ids) != len(voc_labels):
        raise ValueError('voc/img_id.txt and voc/class_freq.pkl disagree in '
                         f'length ({len(voc_ids)} vs {len(voc_labels)}).')
    train = {f'VOC2012/JPEGImages/{i}.jpg': lbl
             for i, lbl in zip(voc_ids, voc_labels)}
    cprfl = {p.replace('VOCdevkit/', '', 1): lbl for p, lbl in
             _read_label_list(j('cprfl', 'voc_lt_train.txt'), 20)}
    _check_same('VOC-MLT train', train, cprfl)
    provenance = (f'ids {DB_REPO}VOCdevkit/longtail2012/img_id.txt; labels '
                  'class_freq.pkl gt_labels (every object, difficult '
                  f'included), identical to {CPRFL_REPO}voc_lt_train.txt')
    path = osp.join(out_dir, 'voc_mlt_train.json')
    dump_annotation(path, VOC2007_CATEGORIES, list(train.items()),
                    dataset='VOC-MLT', split='train', source=provenance)
    outputs['voc_mlt_train'] = path

    test = [(p.replace('VOCdevkit/', '', 1), lbl) for p, lbl in
            _read_label_list(j('cprfl', 'voc_lt_test.txt'), 20)]
    path = osp.join(out_dir, 'voc_mlt_test.json')
    dump_annotation(
        path, VOC2007_CATEGORIES, test, dataset='VOC-MLT', split='test',
        source=f'VOC2007 test, labels from {CPRFL_REPO}voc_lt_test.txt '
        '(difficult objects counted as positive)')
    outputs['voc_mlt_test'] = path

    # COCO-MLT train: ids from img_id.pkl (plain text), labels from
    # class_freq.pkl in the same order, cross-checked against CPRFL.
    coco_ids = [int(x) for x in open(j('coco', 'img_id.pkl')) if x.strip()]
    coco_freq = _load_pickle(j('coco', 'class_freq.pkl'))
    coco_labels = [np.flatnonzero(r).tolist() for r in coco_freq['gt_labels']]
    if len(coco_ids) != len(coco_labels):
        raise ValueError('coco/img_id.pkl and coco/class_freq.pkl disagree '
                         f'in length ({len(coco_ids)} vs {len(coco_labels)}).')
    train = {f'train2017/{i:012d}.jpg': lbl
             for i, lbl in zip(coco_ids, coco_labels)}
    cprfl = dict(_read_label_list(j('cprfl', 'coco_lt_train.txt'), 80))
    _check_same('COCO-MLT train', train, cprfl)
    path = osp.join(out_dir, 'coco_mlt_train.json')
    dump_annotation(
        path, COCO_CATEGORIES, list(train.items()), dataset='COCO-MLT',
        split='train',
        source=f'ids {DB_REPO}coco/longtail2017/img_id.pkl; labels '
        f'class_freq.pkl gt_labels, identical to {CPRFL_REPO}'
        'coco_lt_train.txt')
    outputs['coco_mlt_train'] = path

    test = _read_label_list(j('cprfl', 'coco_lt_test.txt'), 80)
    path = osp.join(out_dir, 'coco_mlt_test.json')
    dump_annotation(
        path, COCO_CATEGORIES, test, dataset='COCO-MLT', split='test',
        source=f'all of COCO-2017 val, labels from {CPRFL_REPO}'
        'coco_lt_test.txt')
    outputs['coco_mlt_test'] = path
    return outputs


def parse_voc_xml(path: str, classes: Sequence[str] = VOC2007_CATEGORIES
                  ) -> List[int]:
    """Class indices present in a VOC annotation XML (difficult included)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'VOC annotation "{path}" does not exist. '
                                'Check the VOCdevkit path.')
    class_to_idx = {c: i for i, c in enumerate(classes)}
    labels = set()
    for obj in ET.parse(path).getroot().iter('object'):
        name = obj.findtext('name', '').strip()
        if name not in class_to_idx:
            raise ValueError(f'{path}: unknown VOC class {name!r}.')
        labels.add(class_to_idx[name])
    return sorted(labels)


def _ids_from_annotation(path: str) -> List[str]:
    with open(path) as f:
        data = json.load(f)
    return [osp.splitext(osp.basename(d['img_path']))[0]
            for d in data['data_list']]


def build_voc_mlt_from_xml(devkit: str, out_dir: str,
                           train_ids: Optional[Sequence[str]] = None
                           ) -> Dict[str, str]:
    """Build VOC-MLT annotation files from a VOCdevkit tree.

    Args:
        devkit (str): Folder holding ``VOC2012/`` and ``VOC2007/``.
        out_dir (str): Output folder.
        train_ids (Sequence[str], optional): VOC2012 ids of the training
            split. Defaults to the ids of the packaged VOC-MLT split.

    Returns:
        dict: Output path per file stem.
    """
    from .mlt_dataset import packaged_annotation
    if train_ids is None:
        train_ids = _ids_from_annotation(packaged_annotation('voc_mlt_train.json'))
    train = [(f'VOC2012/JPEGImages/{i}.jpg',
              parse_voc_xml(osp.join(devkit, 'VOC2012', 'Annotations',
                                     f'{i}.xml'))) for i in train_ids]
    test_list = osp.join(devkit, 'VOC2007', 'ImageSets', 'Main', 'test.txt')
    if not osp.isfile(test_list):
        raise FileNotFoundError(f'"{test_list}" does not exist: the VOC2007 '
                                'test set must be extracted into the devkit.')
    test_ids = [x.strip() for x in open(test_list) if x.strip()]
    test = [(f'VOC2007/JPEGImages/{i}.jpg',
             parse_voc_xml(osp.join(devkit, 'VOC2007', 'Annotations',
                                    f'{i}.xml'))) for i in test_ids]
    outputs = {}
    for split, records, src in (('train', train, 'VOC2012 XML'),
                                ('test', test, 'VOC2007 test XML')):
        path = osp.join(out_dir, f'voc_mlt_{split}.json')
        dump_annotation(path, VOC2007_CATEGORIES, records, dataset='VOC-MLT',
                        split=split, source=f'{src} under {devkit} '
                        '(difficult objects counted as positive)')
        outputs[f'voc_mlt_{split}'] = path
    return outputs


def coco_labels_from_json(path: str,
                          img_ids: Optional[Sequence[int]] = None
                          ) -> List[tuple]:
    """``(file_name, labels)`` per image of a COCO instances JSON.

    Categories are indexed in ascending id order; annotations with
    ``ignore``, ``area <= 0``, width < 1 or height < 1 are skipped
    (``iscrowd`` ones are kept), as in the DB-Loss split construction.

    Args:
        path (str): ``instances_*.json``.
        img_ids (Sequence[int], optional): Images to keep, in this order.
            Defaults to every image, in file order.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'COCO annotation "{path}" does not exist.')
    with open(path) as f:
        coco = json.load(f)
    cats = sorted(coco['categories'], key=lambda c: c['id'])
    names = tuple(c['name'] for c in cats)
    if names != COCO_CATEGORIES:
        raise ValueError(f'{path}: its categories differ from the 80 COCO '
                         'categories expected by COCO-MLT.')
    cat_to_idx = {c['id']: i for i, c in enumerate(cats)}
    files = {im['id']: im['file_name'] for im in coco['images']}
    labels = {i: set() for i in files}
    for ann in coco['annotations']:
        x, y, w, h = ann['bbox']
        if ann.get('ignore', False) or ann['area'] <= 0 or w < 1 or h < 1:
            continue
        labels[ann['image_id']].add(cat_to_idx[ann['category_id']])
    if img_ids is None:
        img_ids = [im['id'] for im in coco['images']]
    missing = [i for i in img_ids if i not in files]
    if missing:
        raise ValueError(f'{path}: {len(missing)} requested image ids are not '
                         f'in the file, e.g. {missing[:5]}.')
    return [(files[i], sorted(labels[i])) for i in img_ids]


def build_coco_mlt_from_json(coco_root: str, out_dir: str,
                             train_ids: Optional[Sequence[int]] = None
                             ) -> Dict[str, str]:
    """Build COCO-MLT annotation files from COCO-2017 instances JSON.

    Args:
        coco_root (str): Folder with ``annotations/instances_{train,val}2017.json``.
        out_dir (str): Output folder.
        train_ids (Sequence[int], optional): Training image ids. Defaults to
            the ids of the packaged COCO-MLT split.
    """
    from .mlt_dataset import packaged_annotation
    if train_ids is None:
        train_ids = [int(i) for i in _ids_from_annotation(
            packaged_annotation('coco_mlt_train.json'))]
    ann = osp.join(coco_root, 'annotations')
    train = [(f'train2017/{f}', lbl) for f, lbl in coco_labels_from_json(
        osp.join(ann, 'instances_train2017.json'), train_ids)]
    test = [(f'val2017/{f}', lbl) for f, lbl in coco_labels_from_json(
        osp.join(ann, 'instances_val2017.json'))]
    outputs = {}
    for split, records, src in (('train', train, 'instances_train2017.json'),
                                ('test', test, 'instances_val2017.json')):
        path = osp.join(out_dir, f'coco_mlt_{split}.json')
        dump_annotation(path, COCO_CATEGORIES, records, dataset='COCO-MLT',
                        split=split, source=f'{src} under {ann}')
        outputs[f'coco_mlt_{split}'] = path
    return outputs
