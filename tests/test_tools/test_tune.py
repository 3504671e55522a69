"""tools/analysis_tools/tune.py on a tiny FD-MLT: 2 configs x 2 learning
rates, chosen by the final validation mAP; the test set is not touched;
compare_methods.py --options-from runs the choices."""
import json
import os.path as osp
import subprocess
import sys

import numpy as np
from mmengine.config import Config

from tests.fake_data import (REPO, load_tool, make_tiny_fd_mlt,
                             tiny_fd_mlt_options)

CONFIGS = ['configs/erm/erm_r18w32_fd_mlt.py', 'configs/rs/rs_r18w32_fd_mlt.py']


def tune_on_tiny_fd_mlt(tmp_path, configs, grid, opts, timeout):
    """Run tune.py (2 jobs) on a tiny FD-MLT built in tmp_path/fd with the
    given extra overrides; returns the finished process, the command (to
    run it again), the dataset root and the out and work folders."""
    root = str(tmp_path / 'fd')
    make_tiny_fd_mlt(root)
    out, work = str(tmp_path / 'tuning'), str(tmp_path / 'work')
    cmd = [sys.executable, 'tools/analysis_tools/tune.py'] + configs + [
        '--grid', grid, '--seeds', '0', '--work-root', work, '--out', out,
        '--jobs', '2', '--cfg-options'] + tiny_fd_mlt_options(root) + opts
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc, cmd, root, out, work


def test_tune_then_compare(tmp_path):
    # validation on the first 30 test images, so that a run that evaluated
    # the (whole) test set would show
    # logging every 5 iterations: an epoch whose length is no multiple of 5
    # does not log its last iteration, and the iteration count must not
    # come from the log
    opts = ['train_cfg.max_epochs=2', 'train_dataloader.batch_size=32',
            'val_dataloader.dataset.indices=30',
            'default_hooks.logger.interval=5']
    proc, cmd, root, out, work = tune_on_tiny_fd_mlt(
        tmp_path, CONFIGS, 'optim_wrapper.optimizer.lr=0.05,0.4', opts,
        timeout=900)
    assert '4 run(s) to make, 2 at a time.' in proc.stdout
    data = json.load(open(osp.join(out, 'tuning.json')))
    with open(osp.join(root, 'annotations', 'train.json')) as f:
        num_train = len(json.load(f)['data_list'])
    assert -(-num_train // 32) % 5 != 0
    chosen = json.load(open(osp.join(out, 'chosen.json')))
    for config in CONFIGS:
        name = osp.splitext(osp.basename(config))[0]
        finals = {}
        for lr in ('0.05', '0.4'):
            run = data['runs'][name][f'lr={lr}']['seeds']['0']
            # each setting records its own options (not the last job's)
            assert data['runs'][name][f'lr={lr}']['options'][
                'optim_wrapper.optimizer.lr'] == lr
            assert [e['epoch'] for e in run['val']] == [1, 2]  # every epoch
            assert run['iterations'] == 2 * -(-num_train // 32)
            assert run['commit'] and run['config_sha256']
            finals[lr] = run['val'][-1]['mAP']
            # the per-epoch values are those of the run's own log
            log = open(osp.join(work, name, f'lr={lr}', 'seed_0',
                                'train.log')).read()
            assert f"mlt/mAP: {run['val'][0]['mAP']:.4f}" in log
            assert 'Epoch(val) [2][1/1]' in log  # 30 images, one batch
            assert not osp.exists(osp.join(work, name, f'lr={lr}', 'seed_0',
                                           'metrics.json'))
        best = max(finals, key=finals.get)
        assert chosen[name] == {'optim_wrapper.optimizer.lr': best}
        assert data['stages'][0]['chosen'][name] == f'lr={best}'
    md = open(osp.join(out, 'tuning.md')).read()
    assert '| config | `lr=0.05` | `lr=0.4` | iterations |' in md
    assert md.count('| **') == 2  # one choice per config
    assert osp.getsize(osp.join(out, 'convergence.png')) > 5000

    # again: nothing to make, same choices, still one stage
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '0 run(s) to make' in proc.stdout
    assert json.load(open(osp.join(out, 'chosen.json'))) == chosen
    assert len(json.load(open(osp.join(out, 'tuning.json')))['stages']) == 1

    # a grown grid (a value past the edge): still one stage, its runs kept
    grown = [a if a != 'optim_wrapper.optimizer.lr=0.05,0.4' else
             'optim_wrapper.optimizer.lr=0.05,0.4,0.8' for a in cmd]
    proc = subprocess.run(grown + ['--report-only'], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '--report-only: 2 run(s) not made.' in proc.stdout
    assert proc.stdout.count('no choice yet (runs missing)') == 2
    md = open(osp.join(out, 'tuning.md')).read()
    assert md.count('## Stage') == 1
    first = 'python tools/analysis_tools/tune.py ' + ' '.join(cmd[2:])
    assert f"Grown from (its runs are this stage's): `{first}`" in md
    assert '| config | `lr=0.05` | `lr=0.4` | `lr=0.8` | iterations |' in md
    assert json.load(open(osp.join(out, 'chosen.json'))) == chosen

    # the final runs at the chosen settings
    res_dir = str(tmp_path / 'results')
    cmp = [sys.executable, 'tools/analysis_tools/compare_methods.py'] + \
        CONFIGS + ['--seeds', '0', '--work-root', str(tmp_path / 'final'),
                   '--out', res_dir, '--jobs', '2', '--options-from',
                   osp.join(out, 'chosen.json'), '--cfg-options'] + \
        tiny_fd_mlt_options(root) + [
            o for o in opts if not o.startswith('val_dataloader.dataset.ind')]
    proc = subprocess.run(cmp, cwd=REPO, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    res = json.load(open(osp.join(res_dir, 'results.json')))
    for name, options in chosen.items():
        info = res['run_info'][name]['0']
        assert info['options'] == [f'{k}={v}' for k, v in options.items()]
        assert info['iterations'] == 2 * -(-num_train // 32)
        saved = Config.fromfile(osp.join(str(tmp_path / 'final'), name,
                                         'seed_0', f'{name}.py'))
        assert saved.optim_wrapper.optimizer.lr == float(
            options['optim_wrapper.optimizer.lr'])
    assert np.isfinite(res['runs'][CONFIGS[0].split('/')[-1][:-3]]['0']['mAP'])

    # a recorded run whose resolved config changed (1 epoch, not 2) is made
    # again in an emptied work dir, not relabelled from the finished one
    # there; its old record is kept
    name = CONFIGS[0].split('/')[-1][:-3]
    old_run = data['runs'][name]['lr=0.05']['seeds']['0']
    again = [a if a != 'optim_wrapper.optimizer.lr=0.05,0.4' else
             'optim_wrapper.optimizer.lr=0.05' for a in cmd
             if a != CONFIGS[1]] + ['train_cfg.max_epochs=1']
    proc = subprocess.run(again, cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert '1 run(s) to make' in proc.stdout
    assert (f'{name} lr=0.05 seed 0: its resolved config changed since it '
            'was recorded') in proc.stdout
    new = json.load(open(osp.join(out, 'tuning.json')))
    run = new['runs'][name]['lr=0.05']
    assert [e['epoch'] for e in run['seeds']['0']['val']] == [1]
    assert run['seeds']['0']['iterations'] == -(-num_train // 32)
    assert run['options']['train_cfg.max_epochs'] == '1'
    assert run['seeds']['0']['config_sha256'] != old_run['config_sha256']
    assert new['superseded'] == [dict(
        config=name, setting='lr=0.05', seed=0, run=old_run,
        options=data['runs'][name]['lr=0.05']['options'])]
    assert '1 run(s) made from a resolved config that has since changed' in \
        open(osp.join(out, 'tuning.md')).read()


def test_grows():
    """A stage is grown by a command with more grid values or configs, the
    same seeds and grid keys, and the same resolved config for every run
    the stage recorded."""
    tune = load_tool('tools/analysis_tools/tune.py')

    def stage(configs, settings, seeds=(0,), grid=('lr',)):
        return dict(configs=list(configs), settings=list(settings),
                    seeds=list(seeds), grid={k: [] for k in grid},
                    start=None)
    data = dict(runs={'a': {'lr=1': dict(seeds={'0': dict(
        config_sha256='d1')})}})
    digests = {('a', 'lr=1'): 'd1', ('a', 'lr=2'): 'd2', ('b', 'lr=1'): 'd3'}
    old = stage('a', ['lr=1'])
    assert tune.grows(old, stage('a', ['lr=1', 'lr=2']), data, digests)
    assert tune.grows(old, stage('ab', ['lr=1']), data, digests)
    assert not tune.grows(old, stage('a', ['lr=2']), data, digests)
    assert not tune.grows(old, stage('b', ['lr=1', 'lr=2']), data, digests)
    assert not tune.grows(old, stage('a', ['lr=1', 'lr=2'], seeds=(0, 1)),
                          data, digests)
    assert not tune.grows(old, stage('a', ['lr=1'], grid=('lr', 'wd')),
                          data, digests)
    changed = {**digests, ('a', 'lr=1'): 'other'}  # config edited
    assert not tune.grows(old, stage('a', ['lr=1', 'lr=2']), data, changed)


def test_diverged_run_is_a_result(tmp_path):
    """A setting whose training diverges is recorded (not retried, not a
    failure), ranks below every finite one and reads "diverged"; both ways
    a training reports it are recognised: the loss's finite check (DAB)
    and the metric meeting NaN scores (ASL's loss has no check)."""
    configs = ['configs/asl/asl_r18w32_fd_mlt.py',
               'configs/dab/dab_r18w32_fd_mlt.py']
    proc, cmd, _, out, work = tune_on_tiny_fd_mlt(
        tmp_path, configs, 'optim_wrapper.optimizer.lr=1e30',
        ['train_cfg.max_epochs=1', 'train_dataloader.batch_size=32',
         'val_dataloader.dataset.indices=30'], timeout=600)
    assert proc.stdout.count('DIVERGED, recorded') == 2, proc.stdout
    assert proc.stdout.count('every setting diverged: no choice') == 2
    data = json.load(open(osp.join(out, 'tuning.json')))
    asl = data['runs']['asl_r18w32_fd_mlt']['lr=1e30']['seeds']['0']
    dab = data['runs']['dab_r18w32_fd_mlt']['lr=1e30']['seeds']['0']
    assert 'the model diverged' in asl['diverged']
    assert dab['diverged'].startswith('FloatingPointError: DABLoss')
    assert asl['val'] == [] and asl['iterations'] is None
    assert asl['seconds'] > 0 and asl['config_sha256']
    assert osp.isfile(osp.join(work, 'asl_r18w32_fd_mlt', 'lr=1e30',
                               'seed_0', 'tune_diverged'))
    assert json.load(open(osp.join(out, 'chosen.json'))) == {}
    md = open(osp.join(out, 'tuning.md')).read()
    assert '| asl_r18w32_fd_mlt | diverged |  |' in md
    # recorded: the same command makes nothing
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert '0 run(s) to make' in proc.stdout


def test_choose_ranks_diverged_last(tmp_path):
    tune = load_tool('tools/analysis_tools/tune.py')

    def run(m=None):
        return dict(val=[dict(epoch=1, mAP=m)] if m is not None else [],
                    **({} if m is not None else dict(diverged='x')))
    records = {'a': {'lr=1': dict(seeds={'0': run(50.0), '1': run(60.0)}),
                     'lr=2': dict(seeds={'0': run(90.0), '1': run()}),
                     'lr=3': dict(seeds={'0': run(), '1': run()})}}
    assert tune.choose(records, 'a', ['lr=1', 'lr=2', 'lr=3'], [0, 1]) == (
        'lr=1', 55.0)
    assert tune.choose(records, 'a', ['lr=3'], [0, 1]) == (None, -np.inf)
    assert np.isnan(tune.choose(records, 'a', ['lr=1', 'lr=4'], [0, 1])[1])
    log = tmp_path / 'train.log'
    log.write_text('x\nValueError: 3 prediction scores are NaN or inf: the '
                   'model diverged, AP is undefined.\n')
    assert tune.divergence(str(log)).startswith('ValueError: 3 prediction')
    log.write_text('Traceback\nFileNotFoundError: data/x.json\n')
    assert tune.divergence(str(log)) is None


def test_stage_again_after_later_stages(tmp_path):
    """A stage started from chosen.json can be run again (or grown) once
    chosen.json holds its own choice, and running an earlier stage again
    keeps the later stages' choices: each config's choice is that of its
    last stage in stage order."""
    tune = load_tool('tools/analysis_tools/tune.py')
    config, name = CONFIGS[0], 'erm_r18w32_fd_mlt'
    out = tmp_path / 'tuning'
    out.mkdir()
    lr, mom = 'optim_wrapper.optimizer.lr', 'optim_wrapper.optimizer.momentum'

    def run(options, m):
        digest = tune.cm.config_digest(
            config, [f'{k}={v}' for k, v in options.items()] +
            ['train_cfg.val_interval=1'])
        return dict(options=options, seeds={'0': dict(
            val=[dict(epoch=1, mAP=m)], iterations=10,
            config_sha256=digest)})
    runs = {'lr=1': run({lr: '1'}, 50.0), 'lr=2': run({lr: '2'}, 60.0),
            'lr=2_momentum=0.5': run({lr: '2', mom: '0.5'}, 70.0),
            'lr=2_momentum=0.9': run({lr: '2', mom: '0.9'}, 65.0)}
    start = str(out / 'chosen.json')
    first = ['--grid', f'{lr}=1,2']
    second = ['--start', start, '--grid', f'{mom}=0.5,0.9']
    common = [config, '--seeds', '0', '--out', str(out)]
    stages = [dict(index=1, command='python tools/analysis_tools/tune.py ' +
                   ' '.join(common + first), commit='c', configs=[name],
                   seeds=[0], grid={lr: ['1', '2']}, start=None,
                   settings=['lr=1', 'lr=2'], chosen={name: 'lr=2'}),
              dict(index=2, command='python tools/analysis_tools/tune.py ' +
                   ' '.join(common + second), commit='c', configs=[name],
                   seeds=[0], grid={mom: ['0.5', '0.9']}, start=start,
                   settings=['lr=2_momentum=0.5', 'lr=2_momentum=0.9'],
                   chosen={name: 'lr=2_momentum=0.5'})]
    (out / 'tuning.json').write_text(json.dumps(dict(
        runs={name: runs}, stages=stages, chosen={})))
    (out / 'chosen.json').write_text(json.dumps({name: {lr: '2', mom: '0.5'}}))
    for args in (second, first):
        tune.main(common + args + ['--report-only'])
        assert json.load(open(start)) == {name: {lr: '2', mom: '0.5'}}
    md = (out / 'tuning.md').read_text()
    assert md.count('## Stage') == 2
    assert '**70.00**' in md and '**60.00**' in md
