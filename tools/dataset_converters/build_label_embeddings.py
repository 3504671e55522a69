"""Write the GloVe label embeddings shipped in
dab_mm/models/heads/label_embeddings from ML-GCN's files, in the VOCMLT /
COCOMLT class order:

  python tools/dataset_converters/build_label_embeddings.py ../shared/data/mlgcn

ML-GCN stores VOC rows in the (alphabetical) VOC order and COCO rows in
alphabetical order of the category names; COCOMLT uses category-id order.
"""
import argparse
import os
import os.path as osp

import numpy as np

from dab_mm.datasets import COCO_CATEGORIES
from dab_mm.models.label_embeddings import EMBEDDING_DIR, glove_from_mlgcn
from mmpretrain.datasets.categories import VOC2007_CATEGORIES


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('mlgcn_dir', help='folder with voc/ and coco/ pkls')
    parser.add_argument('--out', default=EMBEDDING_DIR)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    for name, classes, order in (
            ('voc', VOC2007_CATEGORIES, VOC2007_CATEGORIES),
            ('coco', COCO_CATEGORIES, sorted(COCO_CATEGORIES))):
        emb = glove_from_mlgcn(
            osp.join(args.mlgcn_dir, name, f'{name}_glove_word2vec.pkl'),
            classes, order)
        path = osp.join(args.out, f'{name}_glove.npy')
        np.save(path, emb)
        print(f'{path}: {emb.shape}')


if __name__ == '__main__':
    main()
