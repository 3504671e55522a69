"""Train and test a list of configs over several seeds, then write the
comparison: a Markdown table (mean ± std of total / head / middle / tail mAP),
results.json and PNG plots.

  python tools/analysis_tools/compare_methods.py \
      configs/erm_r18w32_fd_mlt.py configs/dab_r18w32_fd_mlt.py \
      --seeds 0 1 2 --work-root work_dirs/compare --out results/fd_mlt

Each run is ``tools/train.py CONFIG --cfg-options randomness.seed=S`` in
``WORK_ROOT/<config name>/seed_S``, then ``tools/test.py`` on its last
checkpoint with ``--out metrics.json --out-item metrics``. A run whose
metrics file exists is not repeated, so an interrupted comparison resumes.
The table is computed only from those metric files.
"""
import argparse
import os
import os.path as osp
import subprocess
import sys
import time

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

from mmengine.config import DictAction  # noqa: E402

from dab_mm.analysis.results import training_label_stats  # noqa: E402
from dab_mm.evaluation.comparison import (aggregate, load_metrics,  # noqa
                                          markdown_table, plot_comparison)


def method_name(config: str) -> str:
    return osp.splitext(osp.basename(config))[0]


def run(cmd, log_path):
    with open(log_path, 'w') as log:
        proc = subprocess.run(cmd, cwd=REPO, stdout=log,
                              stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        with open(log_path) as f:
            tail = f.read()[-3000:]
        raise SystemExit(f'Command failed ({log_path}):\n{" ".join(cmd)}\n'
                         f'{tail}')


def train_and_test(config, seed, work_dir, cfg_options):
    metrics_file = osp.join(work_dir, 'metrics.json')
    if osp.isfile(metrics_file):
        return metrics_file
    os.makedirs(work_dir, exist_ok=True)
    opts = [f'randomness.seed={seed}'] + list(cfg_options)
    run([sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
         '--cfg-options'] + opts, osp.join(work_dir, 'train.log'))
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    run([sys.executable, 'tools/test.py', config, ckpt, '--work-dir',
         work_dir, '--out', metrics_file, '--out-item', 'metrics',
         '--cfg-options'] + opts, osp.join(work_dir, 'test.log'))
    return metrics_file


def training_counts(config, cfg_options):
    """n_i of the config's training set as loaded (no images needed)."""
    opts = None
    if cfg_options:  # the key=value strings also given to every run
        ns = argparse.Namespace()
        DictAction(option_strings=[], dest='opts')(None, ns, list(cfg_options))
        opts = ns.opts
    return training_label_stats(config, opts).counts


def git_commit(out_dir):
    """HEAD, flagged when the tree differs from it (outside ``out_dir``,
    which holds this tool's own earlier output)."""
    try:
        out = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=REPO,
                             capture_output=True, text=True, check=True)
        dirty = subprocess.run(
            ['git', 'status', '--porcelain', '--', '.',
             f':(exclude){osp.relpath(osp.abspath(out_dir), REPO)}'],
            cwd=REPO, capture_output=True, text=True).stdout.strip()
        return out.stdout.strip() + (' (with uncommitted changes)'
                                     if dirty else '')
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    parser.add_argument('--work-root', default='work_dirs/compare')
    parser.add_argument('--out', required=True, help='results folder')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides applied to every run')
    args = parser.parse_args(argv)
    command = 'python tools/analysis_tools/compare_methods.py ' + ' '.join(
        (argv if argv is not None else sys.argv[1:]))
    commit = git_commit(args.out)

    runs, total = {}, len(args.configs) * len(args.seeds)
    start, done = time.time(), 0
    for config in args.configs:
        name = method_name(config)
        runs[name] = {}
        for seed in args.seeds:
            work_dir = osp.join(args.work_root, name, f'seed_{seed}')
            path = train_and_test(config, seed, work_dir, args.cfg_options)
            runs[name][seed] = load_metrics(path)
            done += 1
            print(f'[{done}/{total}] {name} seed {seed}: mAP '
                  f'{runs[name][seed]["mAP"]:.2f} '
                  f'({time.time() - start:.0f} s elapsed)', flush=True)

    summary = aggregate(runs)
    os.makedirs(args.out, exist_ok=True)
    counts = training_counts(args.configs[0], args.cfg_options)
    plots = plot_comparison(summary, counts, args.out)
    table = markdown_table(summary)
    with open(osp.join(args.out, 'results.md'), 'w') as f:
        f.write('# Method comparison\n\n' + table + '\n\n'
                'mAP in %, mean ± sample std over the seeds; groups by '
                'training count (head >= 100, middle 20-99, tail < 20).\n\n'
                f'Command: `{command}`\n\nCommit: `{commit}`\n\n'
                f'Per-run metric files: `{args.work_root}/<method>/seed_<s>/'
                'metrics.json`.\n\n' +
                ''.join(f'![{osp.basename(p)}]({osp.basename(p)})\n'
                        for p in plots))
    import json
    with open(osp.join(args.out, 'results.json'), 'w') as f:
        json.dump(dict(
            command=command, commit=commit, seeds=args.seeds,
            class_counts=np.asarray(counts).tolist(),
            runs=runs,
            summary={m: {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                         for k, v in row.items()}
                     for m, row in summary.items()}), f, indent=1)
    print(table)
    print(f'Written to {args.out}: results.md, results.json, ' +
          ', '.join(osp.basename(p) for p in plots))


if __name__ == '__main__':
    main()
