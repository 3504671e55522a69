"""The README's "Use your own dataset" walk-through on a small COCO-style
dataset: long-tailed split, DAB training with the example config, test,
analysis plots and predictions on new images."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

from dab_mm.utils.packaged import MIM_DIR
from tests.fake_data import REPO, make_coco_style_dataset

CONFIG = osp.join(REPO, 'configs', 'dab', 'dab_r101_custom_mlt.py')
NAMES = ['cat', 'dog', 'fish', 'bird', 'horse', 'snail']


def run(args, ok=True, cwd=REPO):
    proc = subprocess.run([sys.executable] + args, cwd=cwd,
                          capture_output=True, text=True, timeout=600)
    out = proc.stdout + proc.stderr
    assert (proc.returncode == 0) == ok, out[-5000:]
    return out


def cpu(head_thr=None, tail_thr=None, root=None):
    """CPU-sized ResNet-18 at 32 px, 2 short epochs (the README's CPU
    overrides, smaller); optionally the data root and group thresholds."""
    opts = ['model.backbone.depth=18', 'model.backbone.init_cfg=None',
            'model.head.in_channels=512',
            'train_dataloader.dataset.pipeline.1.scale=(40,40)',
            'train_dataloader.dataset.pipeline.2.crop_size=32',
            'val_dataloader.dataset.pipeline.1.scale=(32,32)',
            'test_dataloader.dataset.pipeline.1.scale=(32,32)',
            'train_dataloader.batch_size=8',
            'train_dataloader.sampler.num_samples=32',
            'train_cfg.max_epochs=2', 'default_hooks.logger.interval=1',
            'randomness.seed=0']
    if head_thr is not None:
        opts += [f'{k}_evaluator.{t}={v}' for k in ('val', 'test')
                 for t, v in (('head_thr', head_thr), ('tail_thr', tail_thr))]
    for loader in ('train', 'val', 'test'):
        if root is not None:
            opts.append(f'{loader}_dataloader.dataset.data_root={root}')
        opts += [f'{loader}_dataloader.num_workers=0',
                 f'{loader}_dataloader.persistent_workers=False']
    return opts


def small(root, head_thr=20, tail_thr=5):
    return cpu(head_thr, tail_thr, root)


@pytest.fixture(scope='module')
def my_dataset(tmp_path_factory):
    root = tmp_path_factory.mktemp('my_dataset')
    make_coco_style_dataset(str(root), NAMES,
                            [0.7, 0.4, 0.25, 0.15, 0.1, 0.06])
    return root


def written(log):
    """The files a tool's last line says it wrote."""
    line = [x for x in log.splitlines() if x.startswith('Written: ')][-1]
    return sorted(line[len('Written: '):].split(', '))


def test_own_dataset_walkthrough(tmp_path):
    """The README's steps as a user types them, in a project folder outside
    the repository: split, config copied to configs/my_dab.py, train, test
    with the config saved in the work dir, analysis, predictions."""
    user = tmp_path / 'project'
    root = user / 'data' / 'my_dataset'
    make_coco_style_dataset(str(root), NAMES,
                            [0.7, 0.4, 0.25, 0.15, 0.1, 0.06])
    # $TOOLS of the README: the installed package's tools
    tool = lambda name: osp.join(MIM_DIR, 'tools', name)  # noqa: E731
    ann = 'data/my_dataset/annotations'
    mlt = root / 'mlt'
    # 1.-2. a long-tailed training split (max 100) and the whole val set,
    # into one folder
    log = run([tool('dataset_converters/build_lt_split.py'), 'coco',
               f'{ann}/instances_train.json', '--max', '100', '--out',
               'data/my_dataset/mlt', '--head-thr', '20', '--tail-thr', '5'],
              cwd=user)
    assert written(log) == sorted(f'data/my_dataset/mlt/{f}' for f in
                                  os.listdir(mlt))
    split = json.loads((mlt / 'train_split.json').read_text())
    assert split['classes'] == NAMES
    assert sorted(split['targets'], reverse=True) == [100, 24, 7, 3, 2, 1]
    assert split['shortfalls'] == {}
    train = json.loads((mlt / 'train.json').read_text())
    assert train['data_list'][0]['img_path'].startswith('train/')
    n_train = split['num_images']
    assert len(train['data_list']) == n_train < 300
    assert f'{n_train} images, 6 classes' in log
    before = {f: (mlt / f).read_bytes() for f in os.listdir(mlt)}
    log = run([tool('dataset_converters/build_lt_split.py'), 'coco',
               f'{ann}/instances_val.json', '--convert-only', '--name',
               'test', '--out', 'data/my_dataset/mlt'], cwd=user)
    assert written(log) == sorted(
        f'data/my_dataset/mlt/test{f}' for f in (
            '.json', '_stats.json', '_count_histogram.png',
            '_cooccurrence.png'))
    assert {f: (mlt / f).read_bytes() for f in before} == before
    assert len(json.loads((mlt / 'test.json').read_text())[
        'data_list']) == 40
    assert json.loads((mlt / 'test_stats.json').read_text())[
        'num_images'] == 40

    # 3. the config, copied out of the repository; the user's groups
    (user / 'configs').mkdir()
    text = open(CONFIG).read()
    assert 'head_thr=100, tail_thr=20' in text
    (user / 'configs' / 'my_dab.py').write_text(
        text.replace('head_thr=100, tail_thr=20', 'head_thr=20, tail_thr=5'))

    # 4. train (CPU overrides), test with the config saved in the work dir,
    # analyse with the config's groups, predict
    log = run([tool('train.py'), 'configs/my_dab.py', '--cfg-options'] +
              cpu(), cwd=user)
    groups = split['groups']
    assert (f'LabelStatsHook: {n_train} training images, class counts '
            f'{split["counts"]}; groups (head >= 20, tail < 5): head '
            f'{len(groups["head"])}, middle {len(groups["middle"])}, tail '
            f'{len(groups["tail"])}') in log
    assert 'phi: 0.7500' in log
    val = re.findall(r'Epoch\(val\) \[2\]\[\d+/\d+\]\s+mlt/mAP: ([\d.]+)\s+'
                     r'mlt/mAP_head: ([\d.]+)\s+mlt/mAP_middle: ([\d.]+)\s+'
                     r'mlt/mAP_tail: ([\d.]+)', log)[-1]
    work = 'work_dirs/my_dab'
    log = run([tool('test.py'), f'{work}/my_dab.py', f'{work}/epoch_2.pth',
               '--out', f'{work}/preds.pkl'], cwd=user)
    assert re.findall(r'Epoch\(test\) \[\d+/\d+\]\s+mlt/mAP: ([\d.]+)\s+'
                      r'mlt/mAP_head: ([\d.]+)\s+mlt/mAP_middle: ([\d.]+)\s+'
                      r'mlt/mAP_tail: ([\d.]+)', log) == [val]
    log = run([tool('analysis_tools/analyze_results.py'),
               f'dab={work}/preds.pkl', '--config', 'configs/my_dab.py',
               '--out', f'{work}/analysis'], cwd=user)
    analysis = json.loads((user / work / 'analysis' /
                           'analysis.json').read_text())
    assert analysis['train_counts'] == split['counts']
    assert analysis['thresholds'] == dict(head=20, tail=5)
    row = analysis['runs']['dab']
    assert [f'{row[k][0]:.4f}' for k in ('mAP', 'mAP_head', 'mAP_middle',
                                          'mAP_tail')] == list(val)
    for png in ('ap_vs_count.png', 'group_map.png'):
        assert osp.getsize(user / work / 'analysis' / png) > 10000
    log = run([tool('infer.py'), f'{work}/my_dab.py', f'{work}/epoch_2.pth',
               'data/my_dataset/val', '--thr', '0.5', '--out',
               'predictions.json'], cwd=user)
    preds = json.loads((user / 'predictions.json').read_text())['predictions']
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
