import hashlib
import json
import os.path as osp
import pickle
import subprocess
import sys

import numpy as np
import pytest
import torch

from dab_mm.datasets import COCO_CATEGORIES, LabelStats
from dab_mm.datasets.voc_mlt import VOC2007_CATEGORIES as VOC2007
from dab_mm.models import load_label_embedding, mlgcn_adjacency
from dab_mm.models.label_embeddings import EMBEDDING_DIR
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample
from tests.fake_data import REPO

# 4 images, 3 classes: n = [3, 3, 1]; both(0,1) = 2, both(0,2) = both(1,2) = 1
LABELS = np.array([[1, 1, 0], [1, 0, 0], [1, 1, 1], [0, 1, 0]])


def test_adjacency_paper_hand_computed():
    stats = LabelStats.from_labels(LABELS)
    # P(j|i): row 0 [-, 2/3, 1/3], row 1 [2/3, -, 1/3], row 2 [1, 1, -]
    # edges at t = 0.4: 0->1, 1->0, 2->0, 2->1; p = 0.25 spread over them
    expected = np.array([[0.75, 0.25, 0.0],
                         [0.25, 0.75, 0.0],
                         [0.125, 0.125, 0.75]])
    got = mlgcn_adjacency(stats.cooccurrence, threshold=0.4, p=0.25,
                          graph='paper')
    assert np.allclose(got, expected)
    # no edges at all: every node keeps itself
    assert np.allclose(mlgcn_adjacency(stats.cooccurrence, threshold=1.01,
                                       graph='paper'), np.eye(3))


def test_adjacency_symmetric_normalisation():
    # rows of the re-weighted matrix sum to 1, so D = I; check a case where
    # they do not: a hand-made matrix through the same normalisation
    co = np.array([[2, 2], [2, 4]])  # P(1|0) = 1, P(0|1) = 0.5
    got = mlgcn_adjacency(co, threshold=0.6, p=0.5, graph='paper')
    # row 0 -> 1 only; row 1 has no edge (0.5 < 0.6): keeps 1
    assert np.allclose(got, [[0.5, 0.5], [0.0, 1.0]])


def test_adjacency_released_hand_computed():
    """ML-GCN's released construction (the default): B as above (edges
    0->1, 1->0, 2->0, 2->1), A = p B / colsum(B) + I, Â = D^-1/2 Aᵀ D^-1/2
    with D the row sums of A."""
    stats = LabelStats.from_labels(LABELS)
    # colsum(B) = [2, 2, 0]: A = [[1, 1/8, 0], [1/8, 1, 0], [1/8, 1/8, 1]]
    # row sums 9/8, 9/8, 5/4
    a, b = 1 / 1.125, 0.125 / np.sqrt(1.125 * 1.25)
    expected = np.array([[a, 0.125 / 1.125, b],
                         [0.125 / 1.125, a, b],
                         [0.0, 0.0, 0.8]])
    got = mlgcn_adjacency(stats.cooccurrence, threshold=0.4, p=0.25)
    assert got.dtype == np.float32
    assert np.allclose(got, expected, rtol=1e-5, atol=1e-7)
    assert np.allclose(mlgcn_adjacency(stats.cooccurrence, threshold=1.01),
                       np.eye(3))
    # class 2 has no images here: no edges from it, no NaN
    co = stats.cooccurrence.copy()
    co[2, :] = co[:, 2] = 0
    got = mlgcn_adjacency(co)
    assert np.isfinite(got).all() and got[2, 2] == 1.0
    with pytest.raises(ValueError, match="graph must be one of"):
        mlgcn_adjacency(co, graph='Paper')
    with pytest.raises(ValueError, match="graph must be one of"):
        build_head(graph='other')


def test_head_uses_released_graph_and_init_by_default():
    head = build_head(hidden_channels=64)
    # U(±1/sqrt(out_features)) as ML-GCN's released GraphConvolution
    assert head.gc1.weight.abs().max() <= 64 ** -0.5
    assert head.gc2.weight.abs().max() <= 8 ** -0.5
    assert head.gc1.weight.abs().max() > 0.8 * 64 ** -0.5
    stats = LabelStats.from_labels(LABELS)
    head.set_label_stats(stats)
    assert np.allclose(head.adjacency.numpy(),
                       mlgcn_adjacency(stats.cooccurrence))
    paper = build_head(graph='paper')
    paper.set_label_stats(stats)
    assert np.allclose(paper.adjacency.numpy(),
                       mlgcn_adjacency(stats.cooccurrence, graph='paper'))


def build_head(**kw):
    cfg = dict(type='MLGCNHead', num_classes=3, in_channels=8,
               hidden_channels=16, embedding=None)
    cfg.update(kw)
    return MODELS.build(cfg)


def test_head_shapes_gradients_and_checkpoint():
    head = build_head()
    with pytest.raises(RuntimeError, match='no label graph'):
        head((torch.randn(2, 8, 4, 4), ))
    head.set_label_stats(LabelStats.from_labels(LABELS))
    feats = torch.randn(2, 8, 4, 4, requires_grad=True)
    logits = head((feats, ))
    assert logits.shape == (2, 3)
    samples = [DataSample().set_gt_label([0]), DataSample().set_gt_label([1, 2])]
    loss = head.loss((feats, ), samples)['loss']
    loss.backward()
    for p in (head.gc1.weight, head.gc2.weight, feats):
        assert p.grad is not None and p.grad.abs().sum() > 0
    state = head.state_dict()
    assert 'adjacency' in state and bool(state['graph_ready'])
    fresh = build_head()
    fresh.load_state_dict(state)
    with torch.no_grad():
        assert torch.allclose(fresh((feats, )), head((feats, )))


def test_head_pooling_options():
    head = build_head(pooling=None)
    head.set_label_stats(LabelStats.from_labels(LABELS))
    assert head((torch.randn(2, 8), )).shape == (2, 3)
    with pytest.raises(ValueError, match='pooling=None'):
        head((torch.randn(2, 8, 3, 3), ))
    avg = build_head(pooling='avg')
    avg.set_label_stats(LabelStats.from_labels(LABELS))
    x = torch.randn(1, 8, 2, 2)
    w = avg.classifiers()
    assert torch.allclose(avg((x, )), x.mean((2, 3)) @ w.t(), atol=1e-6)


def test_shipped_embeddings():
    voc = load_label_embedding('voc', 20)
    coco = load_label_embedding('coco', 80)
    assert voc.shape == (20, 300) and coco.shape == (80, 300)
    # ML-GCN rows are alphabetical; the documented permutation to COCO-id
    # order: COCO class k is ML-GCN row perm[k].
    perm = [49, 9, 18, 44, 0, 16, 73, 74, 11, 72, 31, 63, 48, 8, 10, 20, 28,
            37, 56, 25, 30, 6, 79, 34, 2, 76, 36, 68, 64, 33, 59, 60, 62, 40,
            4, 5, 58, 65, 67, 13, 78, 26, 32, 41, 61, 14, 3, 1, 54, 46, 15,
            19, 38, 50, 29, 17, 22, 24, 51, 7, 27, 70, 75, 42, 45, 53, 39, 21,
            43, 47, 69, 57, 52, 12, 23, 77, 55, 66, 35, 71]
    raw = np.empty_like(coco)
    raw[perm] = coco
    # Undoing it gives ML-GCN's array as stored in its pickle: the SHA-256
    # recorded from the source file when the vectors were derived.
    with open(osp.join(EMBEDDING_DIR, 'sources.json')) as f:
        sources = json.load(f)['sources']
    for name, emb in (('voc', voc), ('coco', raw)):
        assert hashlib.sha256(emb.tobytes()).hexdigest() == \
            sources[name]['vectors_sha256'], name
    assert sources['coco']['md5'] == '1977a47d8ba304e6f3f89788edf1ab9d'
    assert sources['coco']['source_row_order'][49] == 'person'
    cat, dog = COCO_CATEGORIES.index('cat'), COCO_CATEGORIES.index('dog')
    assert np.array_equal(coco[cat], voc[7]) and np.array_equal(coco[dog], voc[11])
    with pytest.raises(ValueError, match=r'expected \(21, d\)'):
        load_label_embedding('voc', 21)
    with pytest.raises(FileNotFoundError, match='nope.npy'):
        load_label_embedding('nope.npy', 3)
    assert np.array_equal(load_label_embedding(None, 3), np.eye(3))


def test_embedding_tool_rebuilds_shipped_files(tmp_path):
    """build_label_embeddings.py on ML-GCN-format pickles (rows in ML-GCN's
    order, re-serialised from the shipped vectors) writes the shipped .npy
    files and the same vector digests."""
    with open(osp.join(EMBEDDING_DIR, 'sources.json')) as f:
        shipped = json.load(f)['sources']
    src = tmp_path / 'mlgcn'
    for name in ('voc', 'coco'):
        emb = load_label_embedding(name, 20 if name == 'voc' else 80)
        order = shipped[name]['source_row_order']
        classes = VOC2007 if name == 'voc' else COCO_CATEGORIES
        raw = np.stack([emb[list(classes).index(n)] for n in order])
        (src / name).mkdir(parents=True)
        with open(src / name / f'{name}_glove_word2vec.pkl', 'wb') as f:
            pickle.dump(raw, f)
    proc = subprocess.run(
        [sys.executable, 'tools/dataset_converters/build_label_embeddings.py',
         str(src), '--out', str(tmp_path / 'out')], cwd=REPO,
        capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with open(tmp_path / 'out' / 'sources.json') as f:
        got = json.load(f)['sources']
    for name in ('voc', 'coco'):
        assert np.array_equal(
            np.load(tmp_path / 'out' / f'{name}_glove.npy'),
            np.load(osp.join(EMBEDDING_DIR, f'{name}_glove.npy')))
        for key in ('vectors_sha256', 'source_row_order', 'shape', 'origin'):
            assert got[name][key] == shipped[name][key], (name, key)
