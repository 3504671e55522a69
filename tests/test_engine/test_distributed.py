"""Two real gloo processes: LongTailMAP over ranks equals the 1-rank result
exactly (with the padding an odd test set gets), and the class-aware stream
of 2 ranks is the 1-rank stream dealt out (seed shared by broadcast).

The workers are forked (they need no import: the name ``tests`` is taken by
a package some dependency installs into site-packages, so a spawned child
could not import this module)."""
import json
import os
import socket

import numpy as np
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from mmengine.dataset import DefaultSampler

from dab_mm.datasets import ClassAwareSampler
from dab_mm.evaluation import LongTailMAP
from tests.fake_data import voc_mlt_train_labels

N_TEST, C = 23, 6  # odd: the sampler pads rank 1 with sample 0
COUNTS = [150, 100, 40, 25, 10, 3]


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def make_test_set():
    rng = np.random.default_rng(3)
    labels = (rng.random((N_TEST, C)) < 0.35).astype(np.int64)
    labels[0] = 1
    scores = np.round(rng.random((N_TEST, C)) * 5) / 5  # ties
    return scores.astype(np.float32), labels


class VOCLabels:
    def __init__(self):
        self.rows = [np.flatnonzero(r).tolist()
                     for r in voc_mlt_train_labels()]
        self.metainfo = dict(classes=[str(i) for i in range(20)])

    def __len__(self):
        return len(self.rows)

    def get_cat_ids(self, i):
        return self.rows[i]


def evaluate(sampler_indices, scores, labels):
    metric = LongTailMAP(head_thr=100, tail_thr=20)
    metric.set_class_counts(COUNTS)
    batch = [dict(pred_score=torch.from_numpy(scores[i]),
                  gt_score=torch.from_numpy(labels[i]).float())
             for i in sampler_indices]
    for k in range(0, len(batch), 4):  # batches of 4, as a dataloader
        metric.process(None, batch[k:k + 4])
    return metric.evaluate(N_TEST)


def worker(rank, world, port, out_dir):
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    dist.init_process_group('gloo', rank=rank, world_size=world)
    try:
        scores, labels = make_test_set()
        sampler = DefaultSampler(list(range(N_TEST)), shuffle=False)
        indices = list(sampler)
        metrics = evaluate(indices, scores, labels)
        cas = ClassAwareSampler(VOCLabels(), num_samples=1001)  # seed=None
        cas.set_epoch(3)
        with open(os.path.join(out_dir, f'rank{rank}.json'), 'w') as f:
            json.dump(dict(indices=indices, metrics=metrics, seed=cas.seed,
                           stream=list(cas)), f)
    finally:
        dist.destroy_process_group()


def test_two_gloo_ranks_equal_one(tmp_path):
    mp.start_processes(worker, args=(2, free_port(), str(tmp_path)),
                       nprocs=2, start_method='fork')
    r = [json.load(open(tmp_path / f'rank{k}.json')) for k in (0, 1)]
    # the evaluation sampler padded rank 1 with sample 0
    assert r[0]['indices'] == list(range(0, N_TEST, 2))
    assert r[1]['indices'] == list(range(1, N_TEST, 2)) + [0]
    scores, labels = make_test_set()
    single = evaluate(range(N_TEST), scores, labels)
    assert r[0]['metrics'] == r[1]['metrics'] == json.loads(
        json.dumps(single))  # exactly, after the same JSON round trip
    assert set(single) >= {'mlt/mAP', 'mlt/mAP_head', 'mlt/mAP_middle',
                           'mlt/mAP_tail'}
    # class-aware stream: one seed for both ranks (broadcast), and the
    # ranks' streams interleave to the 1-rank stream of that seed, padded
    assert r[0]['seed'] == r[1]['seed']
    one = ClassAwareSampler(VOCLabels(), num_samples=1001,
                            seed=r[0]['seed'])
    one.set_epoch(3)
    full = np.resize(np.array(list(one)), 1002)
    assert r[0]['stream'] == full[0::2].tolist()
    assert r[1]['stream'] == full[1::2].tolist()
