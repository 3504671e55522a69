"""Build VOC-MLT / COCO-MLT annotation files.

Two routes give the same files:

* :func:`build_from_reference` reads copies of the released split files
  (DB-Loss repo, ``appendix/``) and the label lists of the CPRFL repo (layout
  in ``dab_mm/datasets/annotations/README.md``), cross-checking the two;
* :func:`build_voc_mlt_from_xml` / :func:`build_coco_mlt_from_json` read raw
  VOC XML / COCO instances JSON, for users who regenerate the files.

The label-table readers (:func:`read_voc_table`, :func:`read_coco_table`,
:func:`read_annotation_table`, :func:`read_terse_table`) turn any such source
into a :class:`LabelTable`, the input of the long-tailed split builder
(``lt_split.py``).

Output: OpenMMLab 2.0 annotation JSON (``metainfo`` + ``data_list``) with one
sample per line, loadable by :class:`VOCMLT`, :class:`COCOMLT` and mmpretrain's
:class:`MultiLabelDataset`.
"""
import json
import os
import os.path as osp
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..utils.io import load_json, load_pickle
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
    voc_freq = load_pickle(j('voc', 'class_freq.pkl'))
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
    coco_freq = load_pickle(j('coco', 'class_freq.pkl'))
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
    data = load_json(path)
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


def _coco_table(path: str, img_ids: Optional[Sequence[int]] = None,
                expected_classes: Optional[Sequence[str]] = None):
    """``(class names, [(file_name, labels)])`` of a COCO instances JSON."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'COCO annotation "{path}" does not exist.')
    coco = load_json(path)
    for key in ('images', 'annotations', 'categories'):
        if key not in coco:
            raise ValueError(f'{path}: not a COCO instances file (no '
                             f'"{key}" list).')
    cats = sorted(coco['categories'], key=lambda c: c['id'])
    names = tuple(c['name'] for c in cats)
    if expected_classes is not None and names != tuple(expected_classes):
        raise ValueError(
            f'{path}: its {len(names)} categories (by id: '
            f'{", ".join(names[:3])}, ...) differ from the '
            f'{len(expected_classes)} expected ({", ".join(expected_classes[:3])}'
            ', ...).')
    cat_to_idx = {c['id']: i for i, c in enumerate(cats)}
    files = {im['id']: im['file_name'] for im in coco['images']}
    labels = {i: set() for i in files}
    for n, ann in enumerate(coco['annotations']):
        if ann['image_id'] not in labels:
            raise ValueError(f'{path}: annotations[{n}] refers to image id '
                             f'{ann["image_id"]}, which is not in "images".')
        if ann['category_id'] not in cat_to_idx:
            raise ValueError(f'{path}: annotations[{n}] has category id '
                             f'{ann["category_id"]}, which is not in '
                             '"categories".')
        w, h = ann['bbox'][2:4] if 'bbox' in ann else (1, 1)
        if ann.get('ignore', False) or ann.get('area', 1) <= 0 or w < 1 \
                or h < 1:
            continue
        labels[ann['image_id']].add(cat_to_idx[ann['category_id']])
    if img_ids is None:
        img_ids = [im['id'] for im in coco['images']]
    missing = [i for i in img_ids if i not in files]
    if missing:
        raise ValueError(f'{path}: {len(missing)} requested image ids are not '
                         f'in the file, e.g. {missing[:5]}.')
    return names, [(files[i], sorted(labels[i])) for i in img_ids]


def coco_labels_from_json(path: str,
                          img_ids: Optional[Sequence[int]] = None
                          ) -> List[tuple]:
    """``(file_name, labels)`` per image of a COCO-2017 instances JSON.

    Categories are indexed in ascending id order and must be the 80 COCO
    categories; annotations with ``ignore``, ``area <= 0``, width < 1 or
    height < 1 are skipped (``iscrowd`` ones are kept), as in the DB-Loss
    split construction.

    Args:
        path (str): ``instances_*.json``.
        img_ids (Sequence[int], optional): Images to keep, in this order.
            Defaults to every image, in file order.
    """
    return _coco_table(path, img_ids, COCO_CATEGORIES)[1]


@dataclass
class LabelTable:
    """Multi-label annotations of a whole dataset, ready to be split.

    Attributes:
        img_paths (list[str]): Image path per row, relative to the data root
            the annotation file will be used with.
        labels (np.ndarray): (N, C) bool multi-hot matrix.
        classes (tuple[str]): Class names, index order.
        source (str): Where the table was read from.
    """
    img_paths: List[str]
    labels: np.ndarray
    classes: Tuple[str, ...]
    source: str

    @classmethod
    def from_records(cls, records: Sequence[tuple], classes: Sequence[str],
                     source: str) -> 'LabelTable':
        labels = np.zeros((len(records), len(classes)), dtype=bool)
        for i, (_, lbl) in enumerate(records):
            labels[i, list(lbl)] = True
        return cls([r[0] for r in records], labels, tuple(classes), source)

    def save_npz(self, path: str) -> None:
        """Write the table as a compressed ``.npz`` (arrays ``img_paths``,
        ``labels`` (N, C) bool, ``classes``, ``source``; no pickled objects),
        read back by :func:`read_npz_table`."""
        os.makedirs(osp.dirname(osp.abspath(path)), exist_ok=True)
        np.savez_compressed(
            path, img_paths=np.array(self.img_paths, dtype=str),
            labels=np.asarray(self.labels, dtype=bool),
            classes=np.array(self.classes, dtype=str),
            source=np.array(self.source, dtype=str))

    def records(self, rows: Optional[Sequence[int]] = None) -> List[tuple]:
        """``(img_path, [label indices])`` of the given rows (default all)."""
        rows = range(len(self.img_paths)) if rows is None else rows
        return [(self.img_paths[r], np.flatnonzero(self.labels[r]).tolist())
                for r in rows]


def read_voc_table(year_dir: str, image_set: str = 'trainval',
                   classes: Sequence[str] = VOC2007_CATEGORIES) -> LabelTable:
    """Label table of a VOC-style folder (``Annotations/*.xml`` and
    ``ImageSets/Main/<image_set>.txt``); every object counts, difficult ones
    included. Image paths are ``<year_dir name>/JPEGImages/<id>.jpg``, so the
    data root is the folder above (``VOCdevkit``).

    Args:
        year_dir (str): E.g. ``data/VOCdevkit/VOC2012``.
        image_set (str): Name of the id list in ``ImageSets/Main``, or a path
            to a file with one id per line. Defaults to ``'trainval'``.
        classes (Sequence[str]): Class names. Defaults to the 20 VOC classes.
    """
    id_file = image_set if osp.isfile(image_set) else osp.join(
        year_dir, 'ImageSets', 'Main', f'{image_set}.txt')
    if not osp.isfile(id_file):
        raise FileNotFoundError(
            f'Image list "{id_file}" does not exist. Give --image-set as the '
            'name of a list in ImageSets/Main or as a file path.')
    ids = [x.split()[0] for x in open(id_file) if x.strip()]
    name = osp.basename(osp.normpath(year_dir))
    records = [(f'{name}/JPEGImages/{i}.jpg',
                parse_voc_xml(osp.join(year_dir, 'Annotations', f'{i}.xml'),
                              classes)) for i in ids]
    return LabelTable.from_records(records, classes,
                                   f'VOC XML, {year_dir}, {id_file}')


def read_coco_table(path: str, img_prefix: Optional[str] = None,
                    classes: Optional[Sequence[str]] = None) -> LabelTable:
    """Label table of a COCO-style instances JSON (any categories, indexed
    in ascending id order; annotation filtering as in
    :func:`coco_labels_from_json`; images without annotations are kept as
    all-negative rows).

    Args:
        path (str): The JSON file.
        img_prefix (str, optional): Folder prepended to each ``file_name``.
            Defaults to ``train2017`` for ``instances_train2017.json`` (the
            name after ``instances_``), else none.
        classes (Sequence[str], optional): Expected class names (checked).
    """
    names, records = _coco_table(path, expected_classes=classes)
    if img_prefix is None:
        stem = osp.splitext(osp.basename(path))[0]
        img_prefix = stem[len('instances_'):] if stem.startswith(
            'instances_') else ''
    if img_prefix:
        records = [(f'{img_prefix.rstrip("/")}/{f}', lbl)
                   for f, lbl in records]
    return LabelTable.from_records(records, names, f'COCO JSON, {path}')


def read_annotation_table(ann_file: str,
                          classes: Union[str, Sequence[str], None] = None
                          ) -> LabelTable:
    """Label table of any annotation file :class:`MLTDataset` reads
    (OpenMMLab 2.0 JSON or a text list), image paths as written there.

    Args:
        ann_file (str): The file.
        classes (str | Sequence[str], optional): Class names (or a file with
            one per line) when the file has no ``metainfo.classes``.
    """
    from .label_stats import label_matrix
    from .mlt_dataset import MLTDataset
    ds = MLTDataset(ann_file=ann_file, classes=classes, check_files=False)
    paths = [ds.get_data_info(i)['img_path'] for i in range(len(ds))]
    return LabelTable(paths, label_matrix(ds),
                      tuple(ds.metainfo['classes']), f'annotation file '
                      f'{ann_file}')


def read_npz_table(path: str) -> LabelTable:
    """Label table written by :meth:`LabelTable.save_npz`, e.g. the shipped
    VOC2012 trainval table (``dab_mm/datasets/annotations/
    voc2012_trainval_labels.npz``).

    Args:
        path (str): The ``.npz`` file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Label table "{path}" does not exist.')
    keys = ('img_paths', 'labels', 'classes', 'source')
    try:
        with np.load(path, allow_pickle=False) as data:
            missing = [k for k in keys if k not in data.files]
            if missing:
                raise ValueError(
                    f'{path}: not a label table (no {", ".join(missing)}); '
                    'write one with LabelTable.save_npz.')
            arrays = {k: data[k] for k in keys}
    except (OSError, EOFError, zipfile.BadZipFile) as e:
        raise ValueError(f'{path}: not a readable .npz file ({e}); it may be '
                         'truncated.') from e
    labels = arrays['labels']
    if labels.ndim != 2 or labels.dtype != bool or \
            len(labels) != len(arrays['img_paths']) or \
            labels.shape[1] != len(arrays['classes']):
        raise ValueError(
            f'{path}: labels of shape {labels.shape} ({labels.dtype}) do not '
            f'match {len(arrays["img_paths"])} image paths and '
            f'{len(arrays["classes"])} classes.')
    return LabelTable(arrays['img_paths'].tolist(), labels,
                      tuple(arrays['classes'].tolist()),
                      str(arrays['source']))


def read_terse_table(path: str, classes: Optional[Sequence[str]] = None,
                     path_format: str = 'VOC2012/JPEGImages/{}.jpg'
                     ) -> LabelTable:
    """Label table of a Distribution-Balanced Loss ``terse_gt_*.pkl`` (a dict
    with ``gt_labels`` (N rows of C 0/1) and ``idx2img_id``).

    Args:
        path (str): The pickle.
        classes (Sequence[str], optional): Class names. Defaults to the 20
            VOC classes for a 20-class table.
        path_format (str): Image path of an id. Defaults to
            ``'VOC2012/JPEGImages/{}.jpg'``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Label table "{path}" does not exist.')
    data = load_pickle(path)
    if not isinstance(data, dict) or not {'gt_labels', 'idx2img_id'} <= set(
            data):
        raise ValueError(f'{path}: expected a dict with "gt_labels" and '
                         '"idx2img_id" (a DB-Loss terse_gt pickle).')
    labels = np.asarray(data['gt_labels'])
    if labels.ndim != 2 or len(labels) != len(data['idx2img_id']):
        raise ValueError(f'{path}: gt_labels has shape {labels.shape}, '
                         f'idx2img_id {len(data["idx2img_id"])} entries.')
    if classes is None:
        if labels.shape[1] != len(VOC2007_CATEGORIES):
            raise ValueError(f'{path}: {labels.shape[1]} classes; give the '
                             'class names.')
        classes = VOC2007_CATEGORIES
    if len(classes) != labels.shape[1]:
        raise ValueError(f'{path}: {labels.shape[1]} classes in the table, '
                         f'{len(classes)} class names given.')
    return LabelTable([path_format.format(i) for i in data['idx2img_id']],
                      labels.astype(bool), tuple(classes),
                      f'DB-Loss label table {path}')


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
