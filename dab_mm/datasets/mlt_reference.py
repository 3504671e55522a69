"""Facts about the released VOC-MLT / COCO-MLT splits, shipped in a compact,
derived form.

The released split files (the Distribution-Balanced Loss repository's
``appendix/``, non-commercial use only, and the CPRFL label lists, no
licence) are not shipped. What the project needs from them is derived once by
:func:`derive_mlt_reference` and shipped in ``dab_mm/datasets/annotations``:

* ``mlt_reference.json`` — per split: number of images, class counts,
  head/middle/tail groups and a SHA-256 digest of the labels
  (:func:`label_digest`), plus the size and MD5 of every source file;
* ``voc2012_trainval_labels.npz`` — the VOC2012 trainval label table
  (11 540 image paths and multi-hot labels) from which the split builder
  reproduces VOC-MLT exactly.

``tools/dataset_converters/derive_reference_facts.py`` re-derives both from a
folder of copies of the released files (layout in
``dab_mm/datasets/annotations/README.md``).
"""
import hashlib
import json
import os
import os.path as osp
from typing import Dict, Iterable, List, Sequence, Tuple

import numpy as np

from ..utils.io import load_json, load_pickle
from .coco_mlt import COCO_CATEGORIES
from .mlt_annotations import DB_REPO, CPRFL_REPO, LabelTable, _read_label_list
from .voc_mlt import VOC2007_CATEGORIES

ANNOTATION_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'annotations')
REFERENCE_FILE = 'mlt_reference.json'
VOC2012_TABLE_FILE = 'voc2012_trainval_labels.npz'

# File in the copies folder -> where it comes from.
SOURCES = {
    'voc/img_id.txt': DB_REPO + 'VOCdevkit/longtail2012/img_id.txt',
    'voc/class_freq.pkl': DB_REPO + 'VOCdevkit/longtail2012/class_freq.pkl',
    'voc/class_split.pkl': DB_REPO + 'VOCdevkit/longtail2012/class_split.pkl',
    'voc/terse_gt_2012.pkl': DB_REPO + 'VOCdevkit/terse_gt_2012.pkl',
    'coco/img_id.pkl': DB_REPO + 'coco/longtail2017/img_id.pkl',
    'coco/class_freq.pkl': DB_REPO + 'coco/longtail2017/class_freq.pkl',
    'coco/class_split.pkl': DB_REPO + 'coco/longtail2017/class_split.pkl',
    'cprfl/voc_lt_train.txt': CPRFL_REPO + 'voc_lt_train.txt',
    'cprfl/voc_lt_test.txt': CPRFL_REPO + 'voc_lt_test.txt',
    'cprfl/coco_lt_train.txt': CPRFL_REPO + 'coco_lt_train.txt',
    'cprfl/coco_lt_test.txt': CPRFL_REPO + 'coco_lt_test.txt',
}

DIGEST_RULE = ('SHA-256 of the UTF-8 text with one line per image, in split '
               'order: the image id (file name without extension), then its '
               'label indices in ascending order, separated by single spaces; '
               'each line ends with a newline')


def label_digest(records: Iterable[Tuple[str, Sequence[int]]]) -> str:
    """SHA-256 of ``(image path or id, label indices)`` records (see
    ``DIGEST_RULE``). Independent of the folder part of the path, of the
    extension and of the order of the labels within an image."""
    h = hashlib.sha256()
    for path, labels in records:
        img_id = osp.splitext(osp.basename(str(path)))[0]
        line = ' '.join([img_id] + [str(int(x)) for x in sorted(labels)])
        h.update((line + '\n').encode())
    return h.hexdigest()


def annotation_records(ann_file: str) -> List[Tuple[str, List[int]]]:
    """``(img_path, gt_label)`` per entry of an OpenMMLab 2.0 annotation
    file, as written there."""
    data = load_json(ann_file)
    return [(d['img_path'], d['gt_label']) for d in data['data_list']]


def _file_fact(root: str, rel: str) -> dict:
    path = osp.join(root, rel)
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'"{path}" does not exist. The folder needs copies of the '
            f'released files: {rel} is {SOURCES[rel]}.')
    with open(path, 'rb') as f:
        data = f.read()
    return dict(file=rel, origin=SOURCES[rel], bytes=len(data),
                md5=hashlib.md5(data).hexdigest())


def _counts(records, num_classes: int) -> List[int]:
    counts = np.zeros(num_classes, dtype=np.int64)
    for _, labels in records:
        counts[list(labels)] += 1
    return counts.tolist()


def _split_facts(records, num_classes: int, groups=None) -> dict:
    out = dict(images=len(records), class_freq=_counts(records, num_classes),
               labels_sha256=label_digest(records))
    if groups is not None:
        out['groups'] = {k: sorted(int(i) for i in groups[k])
                         for k in ('head', 'middle', 'tail')}
    return out


def _db_train(mlt_dir: str, name: str, id_file: str, fmt: str):
    with open(osp.join(mlt_dir, name, id_file)) as f:
        ids = [x.strip() for x in f if x.strip()]
    freq = load_pickle(osp.join(mlt_dir, name, 'class_freq.pkl'))
    labels = [np.flatnonzero(r).tolist() for r in freq['gt_labels']]
    if len(ids) != len(labels):
        raise ValueError(f'{name}/{id_file} and {name}/class_freq.pkl '
                         f'disagree in length ({len(ids)} vs {len(labels)}).')
    records = [(fmt.format(i), lbl) for i, lbl in zip(ids, labels)]
    if _counts(records, len(freq['class_freq'])) != \
            np.asarray(freq['class_freq']).tolist():
        raise ValueError(f'{name}/class_freq.pkl: class_freq is not the '
                         'column sum of gt_labels.')
    return records


def derive_mlt_reference(mlt_dir: str, out_dir: str = ANNOTATION_DIR
                         ) -> Dict[str, str]:
    """Write ``mlt_reference.json`` and ``voc2012_trainval_labels.npz``.

    Args:
        mlt_dir (str): Folder with copies of the released files, laid out as
            the keys of ``SOURCES`` (``voc/``, ``coco/``, ``cprfl/``).
        out_dir (str): Output folder. Defaults to the package's annotations.

    Returns:
        dict: Output path per file name.
    """
    sources = [_file_fact(mlt_dir, rel) for rel in SOURCES]
    j = lambda *p: osp.join(mlt_dir, *p)  # noqa: E731
    facts = dict(
        about='Facts derived from the released VOC-MLT / COCO-MLT split '
        'files (Wu et al., ECCV 2020) and the CPRFL label lists; the files '
        'themselves are not shipped. Re-derive with '
        'tools/dataset_converters/derive_reference_facts.py.',
        digest_rule=DIGEST_RULE, sources=sources)

    for name, classes, id_file, fmt, test_prefix in (
            ('voc', VOC2007_CATEGORIES, 'img_id.txt',
             'VOC2012/JPEGImages/{}.jpg', 'VOCdevkit/'),
            ('coco', COCO_CATEGORIES, 'img_id.pkl', 'train2017/{:0>12}.jpg',
             '')):
        c = len(classes)
        train = _db_train(mlt_dir, name, id_file, fmt)
        cprfl_train = _read_label_list(j('cprfl', f'{name}_lt_train.txt'), c)
        if dict((osp.basename(p), sorted(lbl)) for p, lbl in train) != dict(
                (osp.basename(p), sorted(lbl)) for p, lbl in cprfl_train):
            raise ValueError(f'{name}: the DB training labels and '
                             f'cprfl/{name}_lt_train.txt differ.')
        test = _read_label_list(j('cprfl', f'{name}_lt_test.txt'), c)
        facts[f'{name}_mlt'] = dict(
            train=_split_facts(train, c,
                               load_pickle(j(name, 'class_split.pkl'))),
            test=_split_facts(test, c))

    terse = load_pickle(j('voc', 'terse_gt_2012.pkl'))
    labels = np.asarray(terse['gt_labels']).astype(bool)
    table = LabelTable([f'VOC2012/JPEGImages/{i}.jpg'
                        for i in terse['idx2img_id']], labels,
                       tuple(VOC2007_CATEGORIES),
                       f'VOC2012 trainval labels from {SOURCES["voc/terse_gt_2012.pkl"]}')
    os.makedirs(out_dir, exist_ok=True)
    npz = osp.join(out_dir, VOC2012_TABLE_FILE)
    table.save_npz(npz)
    facts['voc2012_trainval'] = dict(
        file=VOC2012_TABLE_FILE, **_split_facts(table.records(),
                                                len(VOC2007_CATEGORIES)))
    out = osp.join(out_dir, REFERENCE_FILE)
    with open(out, 'w') as f:
        json.dump(facts, f, indent=1)
        f.write('\n')
    return {REFERENCE_FILE: out, VOC2012_TABLE_FILE: npz}


def load_mlt_reference(path: str = osp.join(ANNOTATION_DIR, REFERENCE_FILE)
                       ) -> dict:
    """The shipped facts (``mlt_reference.json``)."""
    return load_json(path)


def voc2012_table_path() -> str:
    """Path of the shipped VOC2012 trainval label table."""
    return osp.join(ANNOTATION_DIR, VOC2012_TABLE_FILE)
