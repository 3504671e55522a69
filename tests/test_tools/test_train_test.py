"""End to end: tools/train.py, tools/test.py, resume, and torchrun (gloo)."""
import json
import os
import os.path as osp
import re
import socket
import subprocess
import sys

import pytest

from dab_mm.datasets import packaged_annotation
from tests.fake_data import REPO, make_image_tree

CONFIG = osp.join(REPO, 'configs', 'dab_r101_voc_mlt.py')


@pytest.fixture(scope='module')
def voc_tree(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('VOCdevkit'))
    make_image_tree(root, [packaged_annotation('voc_mlt_train.json'),
                           packaged_annotation('voc_mlt_test.json')], size=16)
    return root


def small_overrides(root, max_epochs=2):
    """ResNet-18 at 32 px, 4 iterations of 4 images per epoch, 24 test images."""
    opts = [
        'model.backbone.depth=18', 'model.backbone.init_cfg=None',
        'model.head.in_channels=512',
        'train_dataloader.dataset.pipeline.1.scale=(40,40)',
        'train_dataloader.dataset.pipeline.2.crop_size=32',
        'val_dataloader.dataset.pipeline.1.scale=(32,32)',
        'test_dataloader.dataset.pipeline.1.scale=(32,32)',
        'train_dataloader.batch_size=4', 'train_dataloader.sampler.num_samples=16',
        'val_dataloader.dataset.indices=24', 'test_dataloader.dataset.indices=24',
        f'train_cfg.max_epochs={max_epochs}', 'train_cfg.val_interval=1',
        'default_hooks.logger.interval=1', 'randomness.seed=0',
    ]
    for loader in ('train', 'val', 'test'):
        opts += [f'{loader}_dataloader.dataset.data_root={root}',
                 f'{loader}_dataloader.num_workers=0',
                 f'{loader}_dataloader.persistent_workers=False']
    return opts


def run(args, env=None, timeout=600):
    proc = subprocess.run(args, cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-5000:]
    return out


def phis(log):
    """φ logged at each train iteration, by epoch."""
    found = {}
    for epoch, phi in re.findall(r'Epoch\(train\)\s+\[(\d+)\]\[\d+/\d+\].*?phi: ([\d.]+)', log):
        found.setdefault(int(epoch), set()).add(float(phi))
    return found


def test_train_test_resume(voc_tree, tmp_path):
    work = str(tmp_path / 'work')
    log = run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work,
               '--cfg-options'] + small_overrides(voc_tree))
    assert phis(log) == {1: {1.0}, 2: {0.75}}
    assert 'LabelStatsHook: 1142 training images' in log
    assert 'head 6, middle 6, tail 8' in log
    assert re.search(r'Epoch\(val\) \[2\]\[\d+/\d+\]\s+mlt/mAP: [\d.]+\s+'
                     r'mlt/mAP_head: [\d.]+\s+mlt/mAP_middle', log)
    assert 'MultiScaleDeformableAttention' not in log
    assert 'FileClient' not in log
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))

    metrics_file = str(tmp_path / 'metrics.json')
    log = run([sys.executable, 'tools/test.py', CONFIG,
               osp.join(work, 'epoch_2.pth'), '--work-dir', work, '--out',
               metrics_file, '--out-item', 'metrics', '--cfg-options'] +
              small_overrides(voc_tree))
    with open(metrics_file) as f:
        metrics = json.load(f)
    for key in ('mAP', 'mAP_head', 'mAP_middle', 'mAP_tail'):
        assert 0 <= metrics[f'mlt/{key}'] <= 100
        assert f'mlt/{key}: {metrics[f"mlt/{key}"]:.4f}' in log
    assert len(metrics['mlt/AP_classwise']) == 20

    # resume to a third epoch: φ continues the schedule of a 3-epoch run
    log = run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work,
               '--resume', '--cfg-options'] + small_overrides(voc_tree, 3))
    assert 'resumed epoch: 2' in log
    assert phis(log) == {3: {round(1 - (2 / 3)**2, 4)}}
    assert osp.isfile(osp.join(work, 'epoch_3.pth'))


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_dist_train_two_cpu_processes(voc_tree, tmp_path):
    work = str(tmp_path / 'dist')
    log = run(['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', work,
               '--cfg-options'] + small_overrides(voc_tree, 1),
              env=dict(PYTHON=sys.executable, PORT=str(_free_port())))
    # 16 samples / 2 ranks / batch 4 = 2 iterations per rank
    assert re.search(r'Epoch\(train\)\s+\[1\]\[2/2\]', log)
    assert 'mlt/mAP_tail' in log
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
