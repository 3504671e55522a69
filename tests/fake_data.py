"""Fake VOCdevkit / COCO trees built from the REAL split files."""
import json
import os
import os.path as osp
import pickle

import cv2
import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
SHARED = os.environ.get('DAB_SHARED', osp.join(REPO, '..', 'shared'))
MLT = osp.join(SHARED, 'data', 'mlt')

VOC_COUNTS = [6, 34, 8, 14, 154, 17, 249, 29, 479, 4, 240, 48, 11, 20, 775,
              100, 5, 82, 7, 64]


def load_pickle(*parts):
    with open(osp.join(MLT, *parts), 'rb') as f:
        return pickle.load(f)


def write_image(path, size=None, seed=0):
    """A real JPEG (``size`` px, random content) or, without size, an empty
    placeholder file."""
    os.makedirs(osp.dirname(path), exist_ok=True)
    if size is None:
        open(path, 'wb').close()
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
