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
