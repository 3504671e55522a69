"""Write the GloVe label embeddings shipped in
dab_mm/models/heads/label_embeddings from ML-GCN's files, in the VOCMLT /
COCOMLT class order, with sources.json (origin, size and MD5 of each source
file, SHA-256 of its vectors as stored there):

  python tools/dataset_converters/build_label_embeddings.py ML-GCN/data

The folder holds voc/voc_glove_word2vec.pkl and coco/coco_glove_word2vec.pkl
(the data/ folder of a clone of Megvii-Nanjing/ML-GCN). ML-GCN stores VOC
rows in the (alphabetical) VOC order and COCO rows in alphabetical order of
the category names; COCOMLT uses category-id order.
"""
import argparse
import hashlib
import json
import os
import os.path as osp
import sys

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

from dab_mm.datasets import COCO_CATEGORIES  # noqa: E402
from dab_mm.models.label_embeddings import (  # noqa: E402
    EMBEDDING_DIR, MLGCN_REPO, glove_from_mlgcn)
from dab_mm.utils.io import load_pickle  # noqa: E402
from mmpretrain.datasets.categories import VOC2007_CATEGORIES  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('mlgcn_dir', help='folder with voc/ and coco/ pkls')
    parser.add_argument('--out', default=EMBEDDING_DIR)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    sources = {}
    for name, classes, order in (
            ('voc', VOC2007_CATEGORIES, VOC2007_CATEGORIES),
            ('coco', COCO_CATEGORIES, sorted(COCO_CATEGORIES))):
        rel = f'{name}/{name}_glove_word2vec.pkl'
        src = osp.join(args.mlgcn_dir, rel)
        emb = glove_from_mlgcn(src, classes, order)
        path = osp.join(args.out, f'{name}_glove.npy')
        np.save(path, emb)
        with open(src, 'rb') as f:
            raw = f.read()
        vectors = np.ascontiguousarray(load_pickle(src), dtype=np.float32)
        sources[name] = dict(
            file=f'{name}_glove.npy', origin=f'{MLGCN_REPO}data/{rel}',
            bytes=len(raw), md5=hashlib.md5(raw).hexdigest(),
            source_row_order=list(order), shape=list(vectors.shape),
            vectors_sha256=hashlib.sha256(vectors.tobytes()).hexdigest())
        print(f'{path}: {emb.shape}')
    with open(osp.join(args.out, 'sources.json'), 'w') as f:
        json.dump(dict(
            about='GloVe vectors of ML-GCN, reordered to the dataset class '
            'order; vectors_sha256 is the SHA-256 of the float32 (C, 300) '
            'array as stored in the source pickle (rows in source_row_order).',
            sources=sources), f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
