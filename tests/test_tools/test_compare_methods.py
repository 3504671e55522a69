"""tools/analysis_tools/compare_methods.py on a tiny FD-MLT: 2 methods x 2
seeds; the table must equal what the per-run metric files say."""
import json
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest

from tests.fake_data import (REPO, load_tool, make_tiny_fd_mlt,
                             tiny_fd_mlt_options)

CONFIGS = ['configs/erm/erm_r18w32_fd_mlt.py', 'configs/dab/dab_r18w32_fd_mlt.py']


def test_compare_two_methods_two_seeds(tmp_path):
    root = str(tmp_path / 'fd')
    make_tiny_fd_mlt(root)
    opts = tiny_fd_mlt_options(root)
    opts += ['train_cfg.max_epochs=1', 'train_cfg.val_interval=1',
             'train_dataloader.batch_size=16']
    out, work = str(tmp_path / 'results'), str(tmp_path / 'work')
    cmd = [sys.executable, 'tools/analysis_tools/compare_methods.py'] + \
        CONFIGS + ['--seeds', '0', '1', '--work-root', work, '--out', out,
                   '--cfg-options'] + opts
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                          timeout=900)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert '[4/4]' in proc.stdout

    md = open(osp.join(out, 'results.md')).read()
    rows = {m.group(1): m.groups()[1:] for m in re.finditer(
        r'^\| (\S+) \| 2 \| ([\d.]+) ± ([\d.]+) \| ([\d.]+) ± ([\d.]+) \| '
        r'([\d.]+) ± ([\d.]+) \| ([\d.]+) ± ([\d.]+) \|(.*)$', md, re.M)}
    assert set(rows) == {'erm_r18w32_fd_mlt', 'dab_r18w32_fd_mlt'}
    for method, cells in rows.items():
        per_run = []
        for seed in (0, 1):
            with open(osp.join(work, method, f'seed_{seed}',
                               'metrics.json')) as f:
                per_run.append(json.load(f))
        for i, key in enumerate(('mAP', 'mAP_head', 'mAP_middle',
                                 'mAP_tail')):
            vals = np.array([r[f'mlt/{key}'] for r in per_run])
            assert float(cells[2 * i]) == pytest.approx(vals.mean(), abs=0.006)
            assert float(cells[2 * i + 1]) == pytest.approx(
                vals.std(ddof=1), abs=0.006)
        # then CP, CR, CF1, OP, OR, OF1, means and stds likewise
        f1 = re.findall(r'([\d.]+) ± ([\d.]+)', cells[-1])
        assert len(f1) == 6
        for (mean, std), key in zip(f1, ('CP', 'CR', 'CF1', 'OP', 'OR',
                                         'OF1')):
            vals = np.array([r[f'mlt/{key}'] for r in per_run])
            assert float(mean) == pytest.approx(vals.mean(), abs=0.006)
            assert float(std) == pytest.approx(vals.std(ddof=1), abs=0.006)
    assert '| method | seeds | mAP | head | middle | tail | CP | CR | CF1 | ' \
        'OP | OR | OF1 |' in md
    assert 'Command: `python tools/analysis_tools/compare_methods.py' in md
    assert re.search(r'Commit: `[0-9a-f]{40}', md)
    for png in ('ap_vs_count.png', 'group_map.png'):
        assert osp.getsize(osp.join(out, png)) > 5000
    with open(osp.join(out, 'results.json')) as f:
        res = json.load(f)
    assert res['seeds'] == [0, 1] and len(res['class_counts']) == 20

    assert set(res['run_info']['dab_r18w32_fd_mlt'][str(0)]) == {
        'commit', 'machine', 'config_sha256', 'seconds', 'iterations',
        'options'}
    # one epoch of batches of 16 (the last one partial)
    with open(osp.join(root, 'annotations', 'train.json')) as f:
        num_train = len(json.load(f)['data_list'])
    assert res['run_info']['dab_r18w32_fd_mlt']['0']['iterations'] == \
        -(-num_train // 16)
    assert 'Where each run was made' in md and 'dab_r18w32_fd_mlt (seeds 0, ' \
        '1)' in md

    # a second call reuses the recorded runs (no work dirs needed)
    import shutil
    shutil.rmtree(work)
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.count('(recorded;') == 4
    assert open(osp.join(out, 'results.md')).read().split('Command')[0] == \
        md.split('Command')[0]

    # --rerun makes a method's runs recorded at another commit again, and a
    # run whose resolved config changed is made again too
    res['run_info']['erm_r18w32_fd_mlt']['1']['commit'] = 'an older commit'
    res['run_info']['dab_r18w32_fd_mlt']['0']['config_sha256'] = 'changed'
    with open(osp.join(out, 'results.json'), 'w') as f:
        json.dump(res, f)
    # (seed-major order, with paired tests and a sensitivity plot)
    proc = subprocess.run(
        cmd + ['--rerun', 'erm_r18w32_fd_mlt', '--seed-major', '--paired',
               'erm_r18w32_fd_mlt', '--sensitivity',
               'x=1:dab_r18w32_fd_mlt,0:erm_r18w32_fd_mlt',
               '--columns', 'mAP', 'OF1'], cwd=REPO,
        capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [x for x in proc.stdout.splitlines() if x.startswith('[')]
    assert [x.split(': mAP')[0] for x in lines] == [
        '[1/4] erm_r18w32_fd_mlt seed 0', '[2/4] dab_r18w32_fd_mlt seed 0',
        '[3/4] erm_r18w32_fd_mlt seed 1', '[4/4] dab_r18w32_fd_mlt seed 1']
    assert ['(ran;' in x for x in lines] == [False, True, True, False]
    assert 'its config changed' in proc.stdout
    md = open(osp.join(out, 'results.md')).read()
    assert '## Paired tests' in md and '| dab_r18w32_fd_mlt | ' in \
        md.split('## Paired tests')[1]
    assert 'x = 0 (erm_r18w32_fd_mlt)' in md
    assert md.startswith('# Method comparison\n\n| method | seeds | mAP | OF1 |')
    assert osp.getsize(osp.join(out, 'sensitivity.png')) > 5000
    with open(osp.join(out, 'results.json')) as f:
        res = json.load(f)
    assert res['paired_tests']['erm_r18w32_fd_mlt']['dab_r18w32_fd_mlt'][
        'n'] == 2
    with pytest.raises(subprocess.CalledProcessError):
        subprocess.run(cmd + ['--rerun', 'nope'], cwd=REPO, check=True,
                       capture_output=True, timeout=300)
    proc = subprocess.run(cmd + ['--columns', 'F2'], cwd=REPO, text=True,
                          capture_output=True, timeout=300)
    assert proc.returncode != 0 and 'unknown column(s) F2' in proc.stderr


def test_failed_run_is_reported_and_not_recorded(tmp_path):
    """A run that fails (here: an optimizer that does not exist) is named,
    not recorded, and the tool exits non-zero after writing what it has."""
    root = str(tmp_path / 'fd')
    make_tiny_fd_mlt(root)
    opts = [f'{k}_dataloader.dataset.data_root={root}'
            for k in ('train', 'val', 'test')]
    opts += ['optim_wrapper.optimizer.type=NoSuchOptimizer']
    out = str(tmp_path / 'results')
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/compare_methods.py',
         CONFIGS[0], '--seeds', '0', '--work-root', str(tmp_path / 'work'),
         '--out', out, '--cfg-options'] + opts, cwd=REPO,
        capture_output=True, text=True, timeout=600)
    assert proc.returncode != 0
    assert '[1/1] erm_r18w32_fd_mlt seed 0: FAILED, not recorded' in \
        proc.stdout
    assert 'NoSuchOptimizer' in proc.stdout
    assert '1 run(s) failed and were not recorded' in proc.stderr
    assert not osp.isfile(osp.join(out, 'results.json'))


def test_options_as(tmp_path):
    """--options-as gives an ablation the options chosen for the tuned
    config it ablates; every misuse is a clear error before training."""
    cm = load_tool('tools/analysis_tools/compare_methods.py')
    path = str(tmp_path / 'chosen.json')
    with open(path, 'w') as f:
        json.dump({'dab': {'optim_wrapper.optimizer.lr': '3.2'},
                   'dab-tuned': {'optim_wrapper.optimizer.lr': '1.6',
                                 'model.head.loss.gamma_neg': '0'},
                   'rs': {'optim_wrapper.optimizer.lr': '0.8'}}, f)
    names = ['rs', 'dab-tuned', 'dab-uniform']
    assert cm.per_config_options(path, ['dab-uniform=dab-tuned'], names) == {
        'rs': ['optim_wrapper.optimizer.lr=0.8'],
        'dab-tuned': ['optim_wrapper.optimizer.lr=1.6',
                      'model.head.loss.gamma_neg=0'],
        'dab-uniform': ['optim_wrapper.optimizer.lr=1.6',
                        'model.head.loss.gamma_neg=0']}
    assert cm.per_config_options(None, [], names) == {}
    for options_as, message in (
            ([], r'has no options for dab-uniform \(an ablation'),
            (['dab-uniform'], "expected NAME=SOURCE"),
            (['other=dab-tuned'], 'other is not among the configs'),
            (['dab-uniform=nope'], 'has no options for nope'),
            (['rs=dab'], 'has options of its own for rs'),
            (['dab-uniform=dab', 'dab-uniform=rs'], 'dab-uniform given '
             'twice')):
        with pytest.raises(SystemExit, match=message):
            cm.per_config_options(path, options_as, names)
    with pytest.raises(SystemExit, match='needs --options-from'):
        cm.per_config_options(None, ['dab-uniform=dab-tuned'], names)
    with pytest.raises(SystemExit, match='no such file'):
        cm.per_config_options(str(tmp_path / 'x.json'), [], names)


def test_git_commit_names_the_uncommitted_paths(tmp_path):
    """The commit recorded with a run says which files differed from it,
    leaving out the tool's own output folder (inside the tree or not)."""
    cm = load_tool('tools/analysis_tools/compare_methods.py')
    repo = tmp_path / 'repo'
    repo.mkdir()

    def git(*args):
        return subprocess.run(['git', *args], cwd=repo, check=True,
                              capture_output=True, text=True).stdout.strip()

    git('init', '-q')
    for name in ('a.py', 'b.py', 'c.py', 'd.py'):
        (repo / name).write_text('x = 1\n')
    git('add', '.')
    git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m',
        'first')
    sha = git('rev-parse', 'HEAD')
    out = repo / 'results'
    out.mkdir()
    (out / 'results.json').write_text('{}')  # the tool's own output
    assert cm.git_commit(str(out), repo=str(repo)) == sha
    (repo / 'b.py').write_text('x = 2\n')
    (repo / 'new' / 'deep').mkdir(parents=True)
    (repo / 'new' / 'deep' / 'e.py').write_text('')
    assert cm.git_commit(str(out), repo=str(repo)) == \
        f'{sha} (with uncommitted changes: b.py, new/deep/e.py)'
    assert cm.git_commit(str(tmp_path / 'elsewhere'), repo=str(repo)) == \
        f'{sha} (with uncommitted changes: b.py, new/deep/e.py, ' \
        'results/results.json)'
    for name in ('a.py', 'c.py', 'd.py'):
        (repo / name).unlink()
    assert cm.git_commit(str(out), repo=str(repo), most=3) == \
        f'{sha} (with uncommitted changes: a.py, b.py, c.py, +2 more)'
    assert cm.git_commit(str(out), repo=str(tmp_path)) == 'unknown'
