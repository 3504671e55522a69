"""Augmentation randomness is a function of (seed, epoch, sample): the same
weights whatever the number of dataloader workers, and a run killed with
SIGKILL mid-epoch and resumed ends with the uninterrupted run's weights."""
import os
import os.path as osp
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from torch.utils.data import DataLoader, Dataset

from dab_mm.engine.hooks import SeededPipeline, sample_seed
from tests.fake_data import REPO, make_tiny_fd_mlt


class Noise(Dataset):
    """Each sample: numpy, Python and torch random draws of the pipeline."""

    def __init__(self):
        self.pipeline = SeededPipeline(Compose([self._draw]), seed=7)

    @staticmethod
    def _draw(results):
        import random
        results['draw'] = (float(np.random.rand()), random.random(),
                           float(torch.rand(())))
        return results

    def __len__(self):
        return 12

    def __getitem__(self, idx):
        return self.pipeline(dict(sample_idx=idx))['draw']


def epochs(num_workers):
    ds = Noise()
    loader = DataLoader(ds, batch_size=3, shuffle=False,
                        num_workers=num_workers,
                        persistent_workers=num_workers > 0,
                        collate_fn=lambda b: b)
    out = []
    for epoch in range(3):
        ds.pipeline.epoch.value = epoch  # as the hook does before an epoch
        out.append([d for batch in loader for d in batch])
    return out


def test_draws_depend_on_seed_epoch_sample_only():
    zero, two = epochs(0), epochs(2)
    assert zero == two  # persistent forked workers see every epoch
    assert zero[0] != zero[1] != zero[2]
    assert len(set(zero[0])) == 12  # samples differ
    assert sample_seed(7, 1, 3) == sample_seed(7, 1, 3) != \
        sample_seed(7, 1, 4)
    assert sample_seed(7, 1, 0, stream=1) != sample_seed(7, 1, 0)


# the demo's config: SeededAugmentationHook comes with the default runtime
CONFIG = osp.join(REPO, 'configs', 'dab', 'dab_r18w32_fd_mlt.py')


def train(cfg, root, work, workers, resume=False, kill_in_epoch=None):
    opts = ['randomness.seed=0', 'randomness.deterministic=True',
            'train_cfg.max_epochs=3', 'train_cfg.val_interval=3',
            'default_hooks.checkpoint.interval=1',
            'default_hooks.logger.interval=1',
            'train_dataloader.batch_size=16']
    for k in ('train', 'val', 'test'):
        opts += [f'{k}_dataloader.dataset.data_root={root}',
                 f'{k}_dataloader.num_workers={workers}',
                 f'{k}_dataloader.persistent_workers={workers > 0}']
    cmd = [sys.executable, 'tools/train.py', cfg, '--work-dir', work] + \
        (['--resume'] if resume else []) + ['--cfg-options'] + opts
    log_path = osp.join(work + '.log')
    with open(log_path, 'w') as log:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=log,
                                stderr=subprocess.STDOUT,
                                start_new_session=True,
                                env={**os.environ, 'PYTHONUNBUFFERED': '1'})
        if kill_in_epoch is None:
            assert proc.wait(timeout=900) == 0, open(log_path).read()[-3000:]
            return
        marker = re.compile(rf'Epoch\(train\)\s+\[{kill_in_epoch}\]\[\s*2/')
        deadline = time.time() + 900
        while not marker.search(open(log_path).read()):
            assert proc.poll() is None, open(log_path).read()[-3000:]
            assert time.time() < deadline
            time.sleep(0.02)
        os.killpg(proc.pid, signal.SIGKILL)  # workers too
        proc.wait()


def weights(work, name='epoch_3.pth'):
    ckpt = torch.load(osp.join(work, name), map_location='cpu',
                      weights_only=False)
    return ckpt['state_dict']


def test_kill_resume_and_worker_count_give_the_same_weights(tmp_path):
    root = str(tmp_path / 'fd')
    make_tiny_fd_mlt(root)
    cfg = CONFIG
    full = str(tmp_path / 'full')
    train(cfg, root, full, workers=2)
    ref = weights(full)

    serial = str(tmp_path / 'serial')
    train(cfg, root, serial, workers=0)
    killed = str(tmp_path / 'killed')
    train(cfg, root, killed, workers=2, kill_in_epoch=3)
    assert not osp.exists(osp.join(killed, 'epoch_3.pth'))
    assert osp.exists(osp.join(killed, 'epoch_2.pth'))
    train(cfg, root, killed, workers=2, resume=True)
    for name, got in (('num_workers=0', weights(serial)),
                      ('killed and resumed', weights(killed))):
        assert got.keys() == ref.keys()
        diff = [k for k in ref if not torch.equal(ref[k], got[k])]
        assert not diff, f'{name}: {len(diff)} tensors differ, e.g. {diff[:3]}'
