"""The README's "Use your own dataset" walk-through on a small COCO-style
dataset: long-tailed split, DAB training with the example config, test,
analysis plots and predictions on new images."""
import json
import os.path as osp
import subprocess
import sys

import pytest

from tests.fake_data import REPO, make_coco_style_dataset

CONFIG = osp.join(REPO, 'configs', 'dab', 'dab_r101_custom_mlt.py')
NAMES = ['cat', 'dog', 'fish', 'bird', 'horse', 'snail']


def run(args, ok=True):
    proc = subprocess.run([sys.executable] + args, cwd=REPO,
                          capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert (proc.returncode == 0) == ok, out[-5000:]
    return out


def small(root, head_thr=20, tail_thr=5):
    """CPU-sized ResNet-18 at 32 px, 2 short epochs; the user's data root
    and thresholds."""
    opts = ['model.backbone.depth=18', 'model.backbone.init_cfg=None',
            'model.head.in_channels=512',
            'train_dataloader.dataset.pipeline.1.scale=(40,40)',
            'train_dataloader.dataset.pipeline.2.crop_size=32',
            'val_dataloader.dataset.pipeline.1.scale=(32,32)',
            'test_dataloader.dataset.pipeline.1.scale=(32,32)',
            'train_dataloader.batch_size=8',
            'train_dataloader.sampler.num_samples=32',
            'train_cfg.max_epochs=2', 'default_hooks.logger.interval=1',
            'randomness.seed=0', f'val_evaluator.head_thr={head_thr}',
            f'val_evaluator.tail_thr={tail_thr}',
            f'test_evaluator.head_thr={head_thr}',
            f'test_evaluator.tail_thr={tail_thr}']
    for loader in ('train', 'val', 'test'):
        opts += [f'{loader}_dataloader.dataset.data_root={root}',
                 f'{loader}_dataloader.num_workers=0',
                 f'{loader}_dataloader.persistent_workers=False']
    return opts


@pytest.fixture(scope='module')
def my_dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp('my_dataset')
    make_coco_style_dataset(str(root), NAMES,
                            [0.7, 0.4, 0.25, 0.15, 0.1, 0.06])
    return root


def test_own_dataset_walkthrough(my_dataset, tmp_path):
    root = my_dataset
    ann = root / 'annotations'
    # 1. a long-tailed training split (max 100) and the whole val set
    log = run(['tools/dataset_converters/build_lt_split.py', 'coco',
               str(ann / 'instances_train.json'), '--max', '100', '--out',
               str(root / 'mlt'), '--head-thr', '20', '--tail-thr', '5'])
    split = json.loads((root / 'mlt' / 'split.json').read_text())
    assert split['classes'] == NAMES
    assert sorted(split['targets'], reverse=True) == [100, 24, 7, 3, 2, 1]
    assert split['shortfalls'] == {}
    train = json.loads((root / 'mlt' / 'train.json').read_text())
    assert train['data_list'][0]['img_path'].startswith('train/')
    n_train = split['num_images']
    assert len(train['data_list']) == n_train < 300
    assert f'{n_train} images, 6 classes' in log
    run(['tools/dataset_converters/build_lt_split.py', 'coco',
         str(ann / 'instances_val.json'), '--convert-only', '--name', 'test',
         '--out', str(root / 'mlt')])
    assert len(json.loads((root / 'mlt' / 'test.json').read_text())[
        'data_list']) == 40

    # 2. train DAB: counts and groups reach the loss and the metric
    work = str(tmp_path / 'work')
    log = run(['tools/train.py', CONFIG, '--work-dir', work,
               '--cfg-options'] + small(root))
    groups = split['groups']
    assert (f'LabelStatsHook: {n_train} training images, class counts '
            f'{split["counts"]}; groups (head >= 20, tail < 5): head '
            f'{len(groups["head"])}, middle {len(groups["middle"])}, tail '
            f'{len(groups["tail"])}') in log
    assert 'phi: 0.7500' in log
    ckpt = osp.join(work, 'epoch_2.pth')

    # 3. test, then per-class / per-group analysis of the predictions
    run(['tools/test.py', CONFIG, ckpt, '--work-dir', work, '--out',
         str(tmp_path / 'preds.pkl'), '--cfg-options'] + small(root))
    out = tmp_path / 'analysis'
    run(['tools/analysis_tools/analyze_results.py',
         f'dab={tmp_path / "preds.pkl"}', '--config', CONFIG, '--out',
         str(out), '--head-thr', '20', '--tail-thr', '5', '--cfg-options',
         f'train_dataloader.dataset.data_root={root}'])
    analysis = json.loads((out / 'analysis.json').read_text())
    assert analysis['train_counts'] == split['counts']
    for png in ('ap_vs_count.png', 'group_map.png'):
        assert osp.getsize(out / png) > 10000

    # 4. predictions on new images
    log = run(['tools/infer.py', CONFIG, ckpt, str(root / 'val'), '--out',
               str(tmp_path / 'pred.json'), '--cfg-options'] + small(root))
    preds = json.loads((tmp_path / 'pred.json').read_text())['predictions']
    assert len(preds) == 40
    assert list(preds[0]['scores']) == NAMES


def test_wrong_num_classes_is_named(my_dataset, tmp_path):
    ann = my_dataset / 'annotations'
    run(['tools/dataset_converters/build_lt_split.py', 'coco',
         str(ann / 'instances_train.json'), '--max', '100', '--out',
         str(my_dataset / 'mlt2')])
    run(['tools/dataset_converters/build_lt_split.py', 'coco',
         str(ann / 'instances_val.json'), '--convert-only', '--name', 'test',
         '--out', str(my_dataset / 'mlt2')])
    log = run(['tools/train.py', CONFIG, '--work-dir', str(tmp_path),
               '--cfg-options'] + small(my_dataset) + [
                   'model.head.num_classes=5',
                   'data_preprocessor.num_classes=5'] + [
                   f'{k}_dataloader.dataset.ann_file=mlt2/{v}.json'
                   for k, v in (('train', 'train'), ('val', 'test'),
                                ('test', 'test'))], ok=False)
    assert 'has 6 classes. Set model.head.num_classes=6' in log
