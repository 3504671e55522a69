"""GloVe label embeddings shipped with dab_mm (ML-GCN's, reordered)."""
import os.path as osp

import numpy as np

from ..utils.io import load_pickle

EMBEDDING_DIR = osp.join(osp.dirname(osp.abspath(__file__)), 'heads',
                         'label_embeddings')
MLGCN_REPO = ('Megvii-Nanjing/ML-GCN @ '
              '5517d6ff8012ead45c26a07b3a9d960cdaa0b9d1, ')
SHIPPED = {'voc': 'voc_glove.npy', 'coco': 'coco_glove.npy'}


def load_label_embedding(source, num_classes: int) -> np.ndarray:
    """(C, d) float32 label embedding.

    Args:
        source: ``'voc'`` / ``'coco'`` (the shipped GloVe vectors, in the
            VOCMLT / COCOMLT class order), a path to a ``.npy`` / pickle file
            holding a (C, d) array in the dataset's class order, an array, or
            None for one-hot embeddings (the identity, d = C: a graph over
            featureless nodes).
        num_classes (int): C.
    """
    if source is None:
        return np.eye(num_classes, dtype=np.float32)
    where = 'the given array'
    if isinstance(source, str):
        path = osp.join(EMBEDDING_DIR, SHIPPED[source]) \
            if source in SHIPPED else source
        where = path
        if not osp.isfile(path):
            raise FileNotFoundError(
                f'Label embedding file "{path}" does not exist. Use '
                f'{sorted(SHIPPED)}, a (C, d) .npy/.pkl file, or None for '
                'one-hot embeddings.')
        if path.endswith('.npy'):
            source = np.load(path)
        else:
            source = load_pickle(path)
    emb = np.asarray(source, dtype=np.float32)
    if emb.ndim != 2 or emb.shape[0] != num_classes:
        raise ValueError(f'Label embedding from {where} has shape '
                         f'{emb.shape}; expected ({num_classes}, d), one row '
                         'per class in the dataset\'s class order.')
    return emb


def glove_from_mlgcn(pkl_path: str, class_names, mlgcn_names) -> np.ndarray:
    """Reorder ML-GCN's GloVe rows (stored in ``mlgcn_names`` order) to
    ``class_names`` order."""
    vectors = np.asarray(load_pickle(pkl_path), dtype=np.float32)
    index = {n: i for i, n in enumerate(mlgcn_names)}
    missing = [n for n in class_names if n not in index]
    if missing:
        raise ValueError(f'{pkl_path}: no vector for classes {missing}.')
    return vectors[[index[n] for n in class_names]]
