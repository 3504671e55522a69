"""End to end: tools/train.py, tools/test.py, resume, result analysis,
inference, and torchrun (gloo)."""
import csv
import json
import os
import os.path as osp
import pickle
import re
import shutil
import socket
import subprocess
import sys

import numpy as np
import pytest

from dab_mm.datasets import packaged_annotation
from tests.fake_data import REPO, VOC_COUNTS, load_tool, make_image_tree

CONFIG = osp.join(REPO, 'configs', 'dab', 'dab_r101_voc_mlt.py')


def benchmark_tree(tmp_path_factory, prefix):
    """16 px JPEGs for every image of a benchmark's shipped split files."""
    root = str(tmp_path_factory.mktemp(prefix))
    make_image_tree(root, [packaged_annotation(f'{prefix}_train.json'),
                           packaged_annotation(f'{prefix}_test.json')], size=16)
    return root


@pytest.fixture(scope='module')
def voc_tree(tmp_path_factory):
    return benchmark_tree(tmp_path_factory, 'voc_mlt')


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


def run_status(args, env=None, timeout=600, cwd=REPO):
    """(return code, stdout + stderr) of a command (in the repository)."""
    proc = subprocess.run(args, cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})}, timeout=timeout)
    return proc.returncode, proc.stdout + proc.stderr


def run(args, env=None, timeout=600):
    """stdout + stderr of a command that must succeed."""
    rc, out = run_status(args, env, timeout)
    assert rc == 0, out[-5000:]
    return out


def phis(log):
    """φ logged at each train iteration, by epoch."""
    found = {}
    for epoch, phi in re.findall(r'Epoch\(train\)\s+\[(\d+)\]\[\d+/\d+\].*?phi: ([\d.]+)', log):
        found.setdefault(int(epoch), set()).add(float(phi))
    return found


@pytest.fixture(scope='module')
def trained(voc_tree, tmp_path_factory):
    """A 2-epoch ResNet-18 run on the fake VOC tree: (work dir, train log)."""
    work = str(tmp_path_factory.mktemp('work'))
    log = run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work,
               '--cfg-options'] + small_overrides(voc_tree))
    return work, log


@pytest.fixture(scope='module')
def tested(voc_tree, trained, tmp_path_factory):
    """tools/test.py on the checkpoint: metrics file, predictions, log."""
    work = trained[0]
    out = tmp_path_factory.mktemp('test_out')
    ckpt = osp.join(work, 'epoch_2.pth')
    log = run([sys.executable, 'tools/test.py', CONFIG, ckpt, '--work-dir',
               work, '--out', str(out / 'metrics.json'), '--out-item',
               'metrics', '--cfg-options'] + small_overrides(voc_tree))
    run([sys.executable, 'tools/test.py', CONFIG, ckpt, '--work-dir', work,
         '--out', str(out / 'preds.pkl'), '--cfg-options'] +
        small_overrides(voc_tree))
    with open(out / 'metrics.json') as f:
        metrics = json.load(f)
    with open(out / 'preds.pkl', 'rb') as f:
        preds = pickle.load(f)
    return dict(metrics=metrics, metrics_file=str(out / 'metrics.json'),
                preds=preds, preds_file=str(out / 'preds.pkl'), log=log,
                ckpt=ckpt)


def test_train_log(trained):
    work, log = trained
    assert phis(log) == {1: {1.0}, 2: {0.75}}
    assert 'LabelStatsHook: 1142 training images' in log
    assert 'head 6, middle 6, tail 8' in log
    assert re.search(r'Epoch\(val\) \[2\]\[\d+/\d+\]\s+mlt/mAP: [\d.]+\s+'
                     r'mlt/mAP_head: [\d.]+\s+mlt/mAP_middle', log)
    assert 'MultiScaleDeformableAttention' not in log
    assert 'FileClient' not in log
    assert osp.isfile(osp.join(work, 'epoch_2.pth'))


def test_test_tool_outputs(tested):
    metrics, log = tested['metrics'], tested['log']
    for key in ('mAP', 'mAP_head', 'mAP_middle', 'mAP_tail'):
        assert 0 <= metrics[f'mlt/{key}'] <= 100
        assert f'mlt/{key}: {metrics[f"mlt/{key}"]:.4f}' in log
    assert len(metrics['mlt/AP_classwise']) == 20
    # The predictions file holds the 24 test images with scores and labels.
    assert len(tested['preds']) == 24
    assert tested['preds'][0]['pred_score'].shape == (20, )


def test_resume(voc_tree, trained, tmp_path):
    work = str(tmp_path / 'work')
    shutil.copytree(trained[0], work)
    # resume to a third epoch: φ continues the schedule of a 3-epoch run
    log = run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work,
               '--resume', '--cfg-options'] + small_overrides(voc_tree, 3))
    assert 'resumed epoch: 2' in log
    assert phis(log) == {3: {round(1 - (2 / 3)**2, 4)}}
    assert osp.isfile(osp.join(work, 'epoch_3.pth'))


def test_analyze_results(voc_tree, tested, tmp_path):
    """Per-class AP from the predictions equals scikit-learn's and the
    metric's; groups come from the config's training counts."""
    from sklearn.metrics import average_precision_score
    preds = tested['preds']
    scores = np.stack([p['pred_score'].numpy() for p in preds])
    target = np.zeros(scores.shape, dtype=int)
    for i, p in enumerate(preds):
        target[i, p['gt_label'].numpy()] = 1
    ref = np.array([average_precision_score(target[:, c], scores[:, c]) * 100
                    if target[:, c].any() else np.nan for c in range(20)])
    out = tmp_path / 'analysis'
    log = run([sys.executable, 'tools/analysis_tools/analyze_results.py',
               f'preds={tested["preds_file"]}',
               f'metrics={tested["metrics_file"]},{tested["metrics_file"]}',
               '--config', CONFIG, '--out', str(out), '--cfg-options',
               f'train_dataloader.dataset.data_root={voc_tree}'])
    with open(out / 'analysis.json') as f:
        analysis = json.load(f)
    assert analysis['train_counts'] == VOC_COUNTS
    got = np.array([np.nan if a is None else a
                    for a in analysis['runs']['preds']['AP_classwise']])
    np.testing.assert_allclose(got, ref, atol=1e-3)
    metric_ap = np.array([np.nan if a is None else a
                          for a in tested['metrics']['mlt/AP_classwise']])
    np.testing.assert_allclose(got, metric_ap, atol=1e-3)
    for run_name in ('preds', 'metrics'):
        row = analysis['runs'][run_name]
        for key in ('mAP', 'mAP_head', 'mAP_middle', 'mAP_tail'):
            assert row[key][0] == pytest.approx(
                tested['metrics'][f'mlt/{key}'], abs=1e-3)
    # Two copies of one file: std 0.
    assert analysis['runs']['metrics']['mAP'][1] == 0
    assert 'metrics (2 file(s)): mAP' in log
    for png in ('ap_vs_count.png', 'group_map.png', 'ap_gain.png'):
        assert osp.getsize(out / png) > 10000
    # exactly the files the analysis guide lists
    guide = ' '.join(open(osp.join(REPO, 'docs', 'user_guides',
                                   'analysis.md')).read().split())
    listed = re.search(r'Output: (.*?)\. AP from predictions', guide).group(1)
    listed = re.findall(r'`([\w.]+\.(?:md|csv|json|png))`',
                        re.sub(r'\([^)]*\)', '', listed))
    assert sorted(listed) == sorted(os.listdir(out))
    with open(out / 'per_class.csv') as f:
        rows = list(csv.DictReader(f))
    assert [r['class'] for r in rows[:2]] == ['person', 'chair']
    assert rows[0]['train_count'] == '775' and rows[0]['group'] == 'head'
    # gain of the second run over the first is 0 up to rounding
    assert all(r['gain_metrics'] in ('', '0.00', '-0.00') for r in rows)


def test_infer(voc_tree, tested, tmp_path):
    """tools/infer.py scores equal tools/test.py's for the same images;
    labels are the classes at or above the threshold, best first."""
    with open(packaged_annotation('voc_mlt_test.json')) as f:
        images = [osp.join(voc_tree, d['img_path'])
                  for d in json.load(f)['data_list'][:24]]
    out = tmp_path / 'pred.json'
    log = run([sys.executable, 'tools/infer.py', CONFIG, tested['ckpt']] +
              images + ['--thr', '0.45', '--device', 'cpu', '--out', str(out),
                        '--cfg-options'] + small_overrides(voc_tree))
    with open(out) as f:
        result = json.load(f)
    assert result['thr'] == 0.45
    preds = result['predictions']
    assert [p['img_path'] for p in preds] == images
    classes = list(preds[0]['scores'])
    assert len(classes) == 20 and classes[14] == 'person'
    for p, ref in zip(preds, tested['preds']):
        scores = np.array([p['scores'][c] for c in classes])
        np.testing.assert_allclose(scores, ref['pred_score'].numpy(),
                                   atol=1e-5)
        expected = [int(c) for c in np.argsort(-scores, kind='stable')
                    if scores[c] >= 0.45]
        assert p['pred_labels'] == expected
        assert p['pred_classes'] == [classes[c] for c in expected]
        assert p['pred_label_scores'] == pytest.approx(
            [scores[c] for c in expected])
    assert f'{images[0]}: ' in log

    # a folder, top-2, with drawings
    folder = tmp_path / 'imgs'
    folder.mkdir()
    for img in images[:3]:
        shutil.copy(img, folder)
    (folder / 'readme.txt').write_text('not an image')
    run([sys.executable, 'tools/infer.py', CONFIG, tested['ckpt'],
         str(folder), '--topk', '2', '--out', str(out), '--show-dir',
         str(tmp_path / 'vis'), '--vis-size', '64', '--cfg-options'] +
        small_overrides(voc_tree))
    with open(out) as f:
        preds = json.load(f)['predictions']
    assert [osp.basename(p['img_path']) for p in preds] == sorted(
        osp.basename(i) for i in images[:3])
    assert all(len(p['pred_labels']) == 2 for p in preds)
    assert len(os.listdir(tmp_path / 'vis')) == 3


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
    # the ranks leave with os._exit(0) (dab_mm.utils.runtime): the log file
    # and the visualizer's scalars must still be complete
    (run_dir,) = [d for d in os.listdir(work) if osp.isdir(osp.join(work, d))]
    with open(osp.join(work, run_dir, run_dir + '.log')) as f:
        assert 'mlt/mAP_tail' in f.read()
    with open(osp.join(work, run_dir, 'vis_data', 'scalars.json')) as f:
        assert 'mlt/mAP_tail' in f.readlines()[-1]

    # 2-process test: 24 test images split over the ranks and gathered
    preds = str(tmp_path / 'preds.pkl')
    log = run(['bash', 'tools/dist_test.sh', CONFIG,
               osp.join(work, 'epoch_1.pth'), '2', '--work-dir', work,
               '--out', preds, '--cfg-options'] + small_overrides(voc_tree, 1),
              env=dict(PYTHON=sys.executable, PORT=str(_free_port())))
    assert 'mlt/mAP_tail' in log
    with open(preds, 'rb') as f:
        assert len(pickle.load(f)) == 24


def test_divergence_stops_with_a_clear_error_and_keeps_the_checkpoint(
        voc_tree, tmp_path):
    """Epoch 1 trains normally and is saved; at epoch 2 the lr jumps by
    1e30. The run stops with the loss's FloatingPointError (not a NaN run
    that goes on), and the epoch-1 checkpoint still loads and tests."""
    work = str(tmp_path / 'diverge')
    opts = small_overrides(voc_tree, 3) + [
        'default_hooks.checkpoint.interval=1',
        'param_scheduler.step_size=1', 'param_scheduler.gamma=1e+30']
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', CONFIG, '--work-dir', work,
         '--cfg-options'] + opts, cwd=REPO, capture_output=True, text=True,
        timeout=600)
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert 'FloatingPointError: DABLoss' in out, out[-3000:]
    assert 'training has diverged' in out
    assert re.search(r'Epoch\(train\)\s+\[2\]', out)  # it got into epoch 2
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))
    assert not osp.isfile(osp.join(work, 'epoch_2.pth'))
    log = run([sys.executable, 'tools/test.py', CONFIG,
               osp.join(work, 'epoch_1.pth'), '--work-dir', work,
               '--cfg-options'] + small_overrides(voc_tree))
    assert re.search(r'mlt/mAP: \d+\.\d+', log)


def test_channels_last_training(voc_tree, tmp_path):
    """--channels-last trains in that memory format (single process; the
    distributed path converts in CPUCompatibleDDP before wrapping)."""
    import torch
    work = str(tmp_path / 'cl')
    run([sys.executable, 'tools/train.py', CONFIG, '--work-dir', work,
         '--channels-last', '--cfg-options'] + small_overrides(voc_tree, 1))
    state = torch.load(osp.join(work, 'epoch_1.pth'), map_location='cpu',
                       weights_only=False)['state_dict']
    w = state['backbone.conv1.weight']
    assert w.dim() == 4 and not w.is_contiguous()
    assert w.is_contiguous(memory_format=torch.channels_last)

    from dab_mm.engine import CPUCompatibleDDP
    import torch.distributed as dist
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(_free_port()))
    dist.init_process_group('gloo', rank=0, world_size=1)
    try:
        conv = torch.nn.Conv2d(3, 8, 3)
        wrapped = CPUCompatibleDDP(module=conv, device_ids=[0],
                                   channels_last=True)
        assert wrapped.module.weight.is_contiguous(
            memory_format=torch.channels_last)
    finally:
        dist.destroy_process_group()


def test_analyze_results_rejects_unknown_column_before_reading(tmp_path):
    """A wrong --columns stops at argument parsing, naming the column and
    the choices; the results file (which does not exist) is never read."""
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/analyze_results.py',
         f'x={tmp_path / "missing.pkl"}', '--train-ann', 'unused.json',
         '--out', str(tmp_path / 'o'), '--columns', 'mAP', 'F2'],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert '--columns: unknown column(s) F2; choose from mAP' in proc.stderr
    assert 'missing.pkl' not in proc.stderr
    assert not (tmp_path / 'o').exists()


def data_overrides(root):
    """Only what the data needs (where the images are, 24 test images at
    32 px): the model stays the config's ResNet-101."""
    return [f'test_dataloader.dataset.data_root={root}',
            'test_dataloader.dataset.indices=24',
            'test_dataloader.dataset.pipeline.1.scale=(32,32)',
            'test_dataloader.num_workers=0',
            'test_dataloader.persistent_workers=False']


def test_checkpoint_must_fit_its_config(voc_tree, trained, tested, tmp_path):
    """The README's step 4 after a CPU-sized training: with the bare config
    (ResNet-101) the ResNet-18 checkpoint stops test.py and infer.py with
    the keys and the fix named; the config saved in the work dir gives the
    training run's numbers; --non-strict loads it anyway; a test never
    overwrites the training config."""
    work, ckpt = trained[0], tested['ckpt']
    saved = osp.join(work, 'dab_r101_voc_mlt.py')
    with open(saved) as f:
        training_cfg = f.read()
    rc, out = run_status([sys.executable, 'tools/test.py', CONFIG, ckpt,
                          '--work-dir', work, '--cfg-options'] +
                         data_overrides(voc_tree))
    assert rc == 1, out[-3000:]
    assert (f'Checkpoint "{ckpt}" does not fit the model built from config '
            f'"{CONFIG}"') in out
    assert '24 differ in shape (backbone.layer1.0.conv1.weight: checkpoint ' \
        '[64, 64, 3, 3], model [64, 64, 1, 1]' in out
    assert 'of the model are missing from the checkpoint' in out
    assert f'Use the config saved with the checkpoint ({saved})' in out
    assert '--non-strict' in out and 'mlt/mAP:' not in out

    # the saved config: the numbers of tools/test.py with the training
    # overrides, without any --cfg-options
    rc, out = run_status([sys.executable, 'tools/test.py', saved, ckpt,
                          '--work-dir', work])
    assert rc == 0, out[-3000:]
    assert f'mlt/mAP: {tested["metrics"]["mlt/mAP"]:.4f}' in out

    # --non-strict: loads what fits, warns, and reports another model's mAP
    rc, out = run_status([sys.executable, 'tools/test.py', CONFIG, ckpt,
                          '--work-dir', str(tmp_path), '--non-strict',
                          '--cfg-options'] + data_overrides(voc_tree))
    assert rc == 0, out[-3000:]
    assert 'size mismatch for backbone.layer1.0.conv1.weight' in out
    assert re.search(r'mlt/mAP: \d+\.\d+', out)

    # every test above left the training config as it was; each test run's
    # config is in its own log folder
    with open(saved) as f:
        assert f.read() == training_cfg
    runs = [d for d in os.listdir(work) if osp.isdir(osp.join(work, d))]
    assert sum(osp.isfile(osp.join(work, d, 'dab_r101_voc_mlt.py'))
               for d in runs) >= 3  # the tested fixture's two, and one here

    # infer.py and MultiLabelInferencer refuse it too
    img = osp.join(voc_tree, 'VOC2007', 'JPEGImages', '000001.jpg')
    rc, out = run_status([sys.executable, 'tools/infer.py', CONFIG, ckpt, img,
                          '--device', 'cpu'])
    assert rc == 1 and 'does not fit the model' in out, out[-3000:]
    assert '--non-strict' in out
    from dab_mm.apis import MultiLabelInferencer
    from dab_mm.utils.checkpoint import CheckpointMismatchError
    with pytest.raises(CheckpointMismatchError, match='24 differ in shape'):
        MultiLabelInferencer(CONFIG, pretrained=ckpt, device='cpu')
    inferencer = MultiLabelInferencer(saved, pretrained=ckpt, device='cpu')
    assert len(inferencer(img)[0]['pred_scores']) == 20
    loose = MultiLabelInferencer(CONFIG, pretrained=ckpt, device='cpu',
                                 strict=False)
    assert len(loose.classes) == 20


def documented_infer_format():
    """The keys that docs/user_guides/inference.md says ``--out`` writes:
    top level, per prediction, per unreadable file (in the guide's
    order)."""
    text = ' '.join(open(osp.join(REPO, 'docs', 'user_guides',
                                  'inference.md')).read().split())
    m = re.search(r'`--out` writes a JSON object: (.*?)\. A file', text)
    assert m, 'the inference guide no longer describes --out'
    desc = m.group(1)
    groups = re.findall(r'\(([^)]*)\)', desc)
    keys = [re.findall(r'`(\w+)`', g) for g in groups]
    top = re.findall(r'`(\w+)`', re.sub(r'\([^)]*\)', '', desc))
    return top, keys[0], keys[1]


def test_infer_skips_unreadable_images(voc_tree, tested, tmp_path):
    """An unreadable file in a folder is skipped with a warning naming it;
    the others are predicted, --out lists both, the exit status is 1."""
    folder = tmp_path / 'photos'
    folder.mkdir()
    good = sorted(os.listdir(osp.join(voc_tree, 'VOC2007', 'JPEGImages')))[:2]
    for name in good:
        shutil.copy(osp.join(voc_tree, 'VOC2007', 'JPEGImages', name), folder)
    (folder / 'broken.jpg').write_text('not an image')
    (folder / 'empty.png').write_bytes(b'')
    out = tmp_path / 'pred.json'
    rc, log = run_status([sys.executable, 'tools/infer.py', CONFIG,
                          tested['ckpt'], str(folder), '--out', str(out),
                          '--cfg-options'] + small_overrides(voc_tree))
    assert rc == 1, log[-3000:]
    assert (f'Warning: skipped {folder / "broken.jpg"}: cannot read it (not '
            'a decodable image (12 bytes)).') in log
    assert f'Warning: skipped {folder / "empty.png"}: cannot read it ' \
        '(empty file (0 bytes)).' in log
    assert '2 of 4 images could not be read and were skipped' in log
    with open(out) as f:
        result = json.load(f)
    assert list(result) == ['config', 'checkpoint', 'thr', 'topk',
                            'predictions', 'unreadable']
    # the inference guide describes exactly this format
    top, per_image, unreadable = documented_infer_format()
    assert list(result) == top
    assert all(list(p) == per_image for p in result['predictions'])
    assert all(list(u) == unreadable for u in result['unreadable'])
    assert [osp.basename(p['img_path']) for p in result['predictions']] == good
    assert result['unreadable'] == [
        dict(img_path=str(folder / 'broken.jpg'),
             error='not a decodable image (12 bytes)'),
        dict(img_path=str(folder / 'empty.png'), error='empty file (0 bytes)')]
    # from Python: a clear error, or the same skip with results in order
    from dab_mm.apis import MultiLabelInferencer
    inferencer = MultiLabelInferencer(
        osp.join(osp.dirname(tested['ckpt']), 'dab_r101_voc_mlt.py'),
        pretrained=tested['ckpt'], device='cpu')
    files = [str(folder / good[0]), str(folder / 'broken.jpg'),
             str(folder / good[1])]
    with pytest.raises(ValueError, match='broken.jpg" \\(not a decodable'):
        inferencer(files)
    results = inferencer(files, skip_unreadable=True, batch_size=2)
    assert results[1] == dict(error='not a decodable image (12 bytes)')
    for i, p in ((0, 0), (2, 1)):
        assert results[i]['pred_labels'] == \
            result['predictions'][p]['pred_labels']


def test_missing_config_stops_before_the_heavy_imports(tmp_path):
    """A mistyped config stops train.py, test.py and the launch scripts at
    once (no torch imported, no processes started), naming the closest."""
    rc, out = run_status([sys.executable, '-X', 'importtime', 'tools/train.py',
                          'configs/dab_r101_coco.py'])
    assert rc == 2
    assert 'Config file "configs/dab_r101_coco.py" does not exist. Closest ' \
        'existing configs:\n  configs/dab_r101_coco_mlt.py' in out
    imported = [line.split('|')[-1].strip() for line in out.splitlines()
                if line.startswith('import time:')]
    assert 'mmengine.config' in imported and 'torch' not in imported
    rc, out = run_status([sys.executable, 'tools/test.py',
                          'configs/dab/dab_r101_coco.py', 'x.pth'])
    assert rc == 2 and '\n  configs/dab/dab_r101_coco_mlt.py' in out
    rc, out = run_status(['bash', 'tools/dist_train.sh', 'configs/dab/'
                          'dab_r101_coco_mlt', '8'],
                         env=dict(PYTHON=sys.executable))
    assert rc == 2
    assert out.count('does not exist') == 1 and 'torch' not in out
    assert '\n  configs/dab/dab_r101_coco_mlt.py' in out
    rc, out = run_status(['bash', 'tools/dist_test.sh', 'nowhere/my_dab.py',
                          'x.pth', '2'], env=dict(PYTHON=sys.executable))
    assert rc == 2 and out.count('does not exist') == 1
    # packaged configs by name, from any folder: answered in kind
    rc, out = run_status([sys.executable, osp.join(REPO, 'tools', 'train.py'),
                          'dab_mm::dab/dab_r101_coc.py'], cwd=str(tmp_path))
    assert rc == 2 and out.startswith(
        'Config file "dab_mm::dab/dab_r101_coc.py" does not exist. Closest '
        'existing configs:\n  dab_mm::dab/dab_r101_coco_mlt.py\n')
    rc, out = run_status([sys.executable, 'tools/preflight.py',
                          'dab_mm::dab_r101_coco_mlt.py'])
    assert rc == 0 and out == ''


def test_card_configs_are_the_method_folder_configs():
    from mmengine.config import Config
    for ds in ('coco', 'voc'):
        card = Config.fromfile(osp.join(REPO, 'configs', f'dab_r101_{ds}_mlt.py'))
        ref = Config.fromfile(osp.join(REPO, 'configs', 'dab',
                                       f'dab_r101_{ds}_mlt.py'))
        assert card.to_dict() == ref.to_dict()


@pytest.fixture(scope='module')
def coco_tree(tmp_path_factory):
    return benchmark_tree(tmp_path_factory, 'coco_mlt')


def test_card_command_as_typed(coco_tree, tmp_path):
    """`tools/dist_train.sh configs/dab_r101_coco_mlt.py 8`: 8 processes
    (gloo on this CPU), with the CPU overrides and a fake COCO tree."""
    work = str(tmp_path / 'card')
    opts = small_overrides(coco_tree, 1) + ['train_dataloader.batch_size=2']
    rc, log = run_status(['tools/dist_train.sh', 'configs/dab_r101_coco_mlt.py',
                          '8', '--work-dir', work, '--cfg-options'] + opts,
                         env=dict(PYTHON=sys.executable,
                                  PORT=str(_free_port())), timeout=900)
    assert rc == 0, log[-5000:]
    # 16 samples / 8 ranks / batch 2: one iteration per rank
    assert re.search(r'Epoch\(train\)\s+\[1\]\[1/1\]', log)
    assert 'LabelStatsHook: 1909 training images' in log
    assert 'mlt/mAP_tail' in log
    assert osp.isfile(osp.join(work, 'epoch_1.pth'))


def test_cpu_thread_default():
    """OMP_NUM_THREADS: half the cores unless set (docs/speed.md)."""
    check = load_tool('tools/preflight.py')
    for cores, want in ((None, 1), (1, 1), (2, 1), (3, 1), (16, 8)):
        env = {}
        assert check.default_cpu_threads(env, lambda: cores) == want
        assert env == {'OMP_NUM_THREADS': str(want)}
    env = {'OMP_NUM_THREADS': '3'}
    assert check.default_cpu_threads(env, lambda: 16) is None
    assert env == {'OMP_NUM_THREADS': '3'}


def test_train_log_names_the_thread_default(trained):
    """The training log says which default it set (none when the user's
    OMP_NUM_THREADS reached the tool)."""
    line = (f'CPU threads: OMP_NUM_THREADS={max(1, (os.cpu_count() or 1) // 2)}'
            ' (the default, half the cores')
    assert (line in trained[1]) != bool(os.environ.get('OMP_NUM_THREADS'))
