"""Fake VOCdevkit / COCO trees built from the REAL split files shipped in the
repository (dab_mm/datasets/annotations), and copies of the released split
files re-serialised from the shipped facts. Nothing here reads outside the
repository."""
import importlib.util
import json
import os
import os.path as osp
import pickle

import cv2
import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

VOC_COUNTS = [6, 34, 8, 14, 154, 17, 249, 29, 479, 4, 240, 48, 11, 20, 775,
              100, 5, 82, 7, 64]


def load_tool(relpath):
    """Import a script under ``tools/`` (not a package) as a module, e.g.
    ``load_tool('tools/preflight.py')``."""
    name = osp.splitext(osp.basename(relpath))[0]
    spec = importlib.util.spec_from_file_location(name,
                                                  osp.join(REPO, relpath))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def packaged_records(name):
    """``(img_path, gt_label)`` of a shipped annotation file, e.g.
    ``'voc_mlt_train'``."""
    from dab_mm.datasets import packaged_annotation
    from dab_mm.datasets.mlt_reference import annotation_records
    return annotation_records(packaged_annotation(f'{name}.json'))


def multi_hot(records, num_classes):
    y = np.zeros((len(records), num_classes), dtype=np.int64)
    for i, (_, labels) in enumerate(records):
        y[i, labels] = 1
    return y


def voc_mlt_train_labels():
    """(1142, 20) int64 multi-hot labels of VOC-MLT train, in the released
    order (the shipped file; its digest is pinned to the released labels by
    test_mlt_datasets.py)."""
    return multi_hot(packaged_records('voc_mlt_train'), 20)


def _dump_pickle(path, obj):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'wb') as f:
        pickle.dump(obj, f)


def _write_lines(path, lines):
    os.makedirs(osp.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write('\n'.join(lines) + '\n')


def make_reference_copies(root):
    """A folder laid out as the released split files (voc/, coco/, cprfl/;
    see dab_mm/datasets/mlt_reference.py) with the content of the shipped
    annotation files and facts, in the released formats: DB-Loss pickles
    (class_freq.pkl, class_split.pkl, terse_gt_2012.pkl), id lists and
    CPRFL label lists (unsorted labels, trailing spaces, COCO train in
    another order than the DB ids, as in the originals)."""
    from dab_mm.datasets.mlt_annotations import read_npz_table
    from dab_mm.datasets.mlt_reference import (load_mlt_reference,
                                               voc2012_table_path)
    ref = load_mlt_reference()
    stem = lambda p: osp.splitext(osp.basename(p))[0]  # noqa: E731
    for name, c in (('voc', 20), ('coco', 80)):
        train = packaged_records(f'{name}_mlt_train')
        y = multi_hot(train, c)
        n = y.sum(0)
        _dump_pickle(osp.join(root, name, 'class_freq.pkl'), dict(
            gt_labels=list(y), class_freq=n, neg_class_freq=len(y) - n,
            condition_prob=(y.T @ y) / n[:, None]))
        groups = ref[f'{name}_mlt']['train']['groups']
        _dump_pickle(osp.join(root, name, 'class_split.pkl'),
                     {k: {np.int64(i) for i in v} for k, v in groups.items()})
        ids = [stem(p) for p, _ in train]
        if name == 'coco':
            ids = [str(int(i)) for i in ids]
        _write_lines(osp.join(root, name, 'img_id.txt' if name == 'voc' else
                              'img_id.pkl'), ids)
        prefix = 'VOCdevkit/' if name == 'voc' else ''
        order = range(len(train)) if name == 'voc' else \
            np.random.default_rng(0).permutation(len(train))
        _write_lines(osp.join(root, 'cprfl', f'{name}_lt_train.txt'), [
            ' '.join([prefix + train[i][0]] +
                     [str(x) for x in train[i][1][::-1]]) + ' '
            for i in order])
        _write_lines(osp.join(root, 'cprfl', f'{name}_lt_test.txt'), [
            ' '.join([prefix + p] + [str(x) for x in lbl])
            for p, lbl in packaged_records(f'{name}_mlt_test')])
    table = read_npz_table(voc2012_table_path())
    ids = [stem(p) for p in table.img_paths]
    _dump_pickle(osp.join(root, 'voc', 'terse_gt_2012.pkl'), dict(
        gt_labels=list(table.labels.astype(np.int64)),
        img_id2idx={i: k for k, i in enumerate(ids)}, idx2img_id=ids))
    return root


def write_image(path, size=None, seed=0):
    """A real JPEG (``size`` px, random content) or, without size, a 1-byte
    placeholder (for tests that never decode it; MLTDataset refuses 0-byte
    images when it is built)."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    if size is None:
        with open(path, 'wb') as f:
            f.write(b'x')
        return
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    cv2.imwrite(path, img)


def make_image_tree(root, ann_files, size=None):
    """Create every image listed in the given annotation JSON files."""
    for ann in ann_files:
        with open(ann) as f:
            data = json.load(f)
        for i, d in enumerate(data['data_list']):
            write_image(osp.join(root, d['img_path']), size, seed=i)


VOC_XML = """<annotation><filename>{id}.jpg</filename>{objects}</annotation>"""
VOC_OBJ = ('<object><name>{name}</name><difficult>{difficult}</difficult>'
           '<bndbox><xmin>1</xmin><ymin>1</ymin><xmax>5</xmax><ymax>5</ymax>'
           '</bndbox></object>')


def write_voc_xml(path, img_id, names, difficult=()):
    os.makedirs(osp.dirname(path), exist_ok=True)
    objs = ''.join(
        VOC_OBJ.format(name=n, difficult=int(i in difficult))
        for i, n in enumerate(names))
    with open(path, 'w') as f:
        f.write(VOC_XML.format(id=img_id, objects=objs))


def write_idx(path, array):
    """An idx file of unsigned bytes (the MNIST / Fashion-MNIST format)."""
    import gzip
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + b''.join(
        int(d).to_bytes(4, 'big') for d in array.shape)
    opener = gzip.open if path.endswith('.gz') else open
    with opener(path, 'wb') as f:
        f.write(header + array.tobytes())


def make_idx_folder(folder, per_class=(40, 20), seed=0, gz=True, uid_start=0):
    """Fake MNIST-style source: per_class (train, test) 28x28 images per
    class 0-9. Every image carries its id: pixel (0, 0) is 255, pixels
    (0, 1..3) hold the id (train ids first, then test ids)."""
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    ext = '.gz' if gz else ''
    uid = uid_start
    for split, n in zip(('train', 't10k'), per_class):
        labels = np.repeat(np.arange(10), n)
        images = rng.integers(0, 256, (len(labels), 28, 28), dtype=np.uint8)
        for i in range(len(labels)):
            images[i, 0, 0] = 255
            images[i, 0, 1:4] = np.frombuffer(uid.to_bytes(3, 'big'), np.uint8)
            uid += 1
        write_idx(osp.join(folder, f'{split}-images-idx3-ubyte{ext}'), images)
        write_idx(osp.join(folder, f'{split}-labels-idx1-ubyte{ext}'), labels)


def tiny_fd_mlt_options(root):
    """``--cfg-options`` that point every loader of an FD-MLT config at the
    tiny tree in ``root``, without worker processes."""
    splits = ('train', 'val', 'test')
    return ([f'{k}_dataloader.dataset.data_root={root}' for k in splits] +
            [f'{k}_dataloader.{o}' for k in splits
             for o in ('num_workers=0', 'persistent_workers=False')])


def make_tiny_fd_mlt(root, seed=0):
    """A tiny FD-MLT built from fake idx sources: training counts 150 .. 2
    (head, middle and tail classes all present), 6 test positives per
    class. Fake source ids: fashion train 0-1599, test 1600-1799; digits
    train 10000-10399, test 10400-10599."""
    from dab_mm.datasets.fd_mlt import build_fd_mlt, load_idx_folder
    make_idx_folder(osp.join(root, 'src_fashion'), per_class=(160, 20),
                    seed=seed)
    make_idx_folder(osp.join(root, 'src_digits'), seed=seed + 1, gz=False,
                    uid_start=10000)
    return build_fd_mlt(root, load_idx_folder(osp.join(root, 'src_fashion')),
                        load_idx_folder(osp.join(root, 'src_digits')),
                        seed=seed, max_count=150, min_count=2, test_count=6)


def fake_photos(per_class, seed):
    """``{'train', 'test'}`` of random 28 x 28 photos of classes 0-9,
    ``per_class = (train, test)`` each, as the photo loaders return them."""
    rng = np.random.default_rng(seed)
    out = {}
    for split, n in zip(('train', 'test'), per_class):
        labels = np.repeat(np.arange(10), n)
        out[split] = (rng.integers(0, 256, (len(labels), 28, 28), np.uint8),
                      labels)
    return out


def make_tiny_mlt_fd(root, kind, val_size=50):
    """VOC-MLT-FD / COCO-MLT-FD (the real label vectors) from fake photos
    with the real sources' counts per class; returns ``root``."""
    from dab_mm.datasets.mlt_fd import build_mlt_fd
    build_mlt_fd(kind, root, fake_photos((6000, 1000), 0),
                 fake_photos((250, 250), 1), val_size=val_size)
    return root


def make_coco_style_dataset(root, names, probs, num_train=300, num_val=40,
                            size=16, seed=0):
    """A small COCO-style multi-label dataset of one's own:
    ``annotations/instances_{train,val}.json`` and JPEGs in ``train/`` and
    ``val/``. Image i holds class c with probability probs[c] (at least one
    class); category ids are 11, 12, ... in the order of ``names``."""
    rng = np.random.default_rng(seed)
    cats = [dict(id=11 + i, name=n) for i, n in enumerate(names)]
    for split, n in (('train', num_train), ('val', num_val)):
        images, anns = [], []
        for i in range(n):
            present = np.flatnonzero(rng.random(len(names)) < probs)
            if not present.size:
                present = [int(rng.integers(len(names)))]
            fname = f'{i:06d}.jpg'
            images.append(dict(id=i + 1, file_name=fname, width=size,
                               height=size))
            for c in present:
                anns.append(dict(id=len(anns) + 1, image_id=i + 1,
                                 category_id=11 + int(c),
                                 bbox=[1, 1, size - 2, size - 2],
                                 area=float((size - 2)**2), iscrowd=0))
            write_image(osp.join(root, split, fname), size, seed=i)
        os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
        with open(osp.join(root, 'annotations', f'instances_{split}.json'),
                  'w') as f:
            json.dump(dict(images=images, annotations=anns, categories=cats),
                      f)
