"""Train and test a list of configs over several seeds, then write the
comparison: a Markdown table (mean ± std of total / head / middle / tail mAP
and of CP, CR, CF1, OP, OR, OF1 where the runs report them; --columns picks),
results.json and PNG plots.

  python tools/analysis_tools/compare_methods.py \
      configs/erm/erm_r18w32_fd_mlt.py configs/dab/dab_r18w32_fd_mlt.py \
      --seeds 0 1 2 --work-root work_dirs/compare --out results/fd_mlt

--jobs N makes N runs at a time (OMP_NUM_THREADS = cores / N each, unless
set). --options-from results/<study>/tuning/chosen.json gives each config the
settings tune.py chose for it on the validation split; --options-as
ABLATION=SOURCE gives a config SOURCE's chosen settings instead (an
ablation at the tuned method's settings, e.g.
dab-uniform_effl0_voc_mlt_fd=dab-tuned_effl0_voc_mlt_fd).

Each run is ``tools/train.py CONFIG --cfg-options randomness.seed=S`` in
``WORK_ROOT/<config name>/seed_S``, then ``tools/test.py`` on its last
checkpoint with ``--out metrics.json --out-item metrics``.

Resuming: a run already recorded in ``OUT/results.json`` (metrics, the
commit and machine it ran on, a digest of its resolved config) is not
repeated, nor is one whose metrics file exists in the work root; results.json
is rewritten after every new run, so a study can span sessions and its
partial results can be committed as they come (--seed-major runs every
method with one seed before the next seed; --reuse takes runs recorded by
other comparisons' results.json). A recorded run whose resolved
config has changed since is run again; ``--rerun NAME ...`` runs the named
methods again (e.g. after a change in their code), discarding their recorded
runs and work dirs. The table is computed only from the recorded metrics.

--paired NAME ... adds paired two-sided t-tests of every method against each
named method on their common seeds (mAP); --sensitivity FACTOR=V:NAME,V:NAME
(repeatable) plots and tabulates methods that differ in one factor, e.g.
--sensitivity 'gamma-=0:dab-gneg0_effl0_fd_mlt,3:dab_effl0_fd_mlt'.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import os.path as osp
import platform
import shutil
import subprocess
import sys
import time

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

from mmengine.config import DictAction  # noqa: E402

from dab_mm.analysis.results import training_label_stats  # noqa: E402
from dab_mm.evaluation.comparison import (  # noqa: E402
    aggregate, load_metrics, markdown_table, paired_table, paired_tests,
    plot_comparison, plot_sensitivity, column_name)
from dab_mm.utils.io import load_json  # noqa: E402


def method_name(config: str) -> str:
    return osp.splitext(osp.basename(config))[0]


def run(cmd, log_path, env=None):
    with open(log_path, 'w') as log:
        proc = subprocess.run(cmd, cwd=REPO, stdout=log,
                              stderr=subprocess.STDOUT, env=env)
    if proc.returncode != 0:
        with open(log_path) as f:
            tail = f.read()[-3000:]
        raise SystemExit(f'Command failed ({log_path}):\n{" ".join(cmd)}\n'
                         f'{tail}')


def train_and_test(config, seed, work_dir, cfg_options, env=None):
    metrics_file = osp.join(work_dir, 'metrics.json')
    if osp.isfile(metrics_file):
        return metrics_file
    os.makedirs(work_dir, exist_ok=True)
    opts = [f'randomness.seed={seed}'] + list(cfg_options)
    run([sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
         '--cfg-options'] + opts, osp.join(work_dir, 'train.log'), env)
    with open(osp.join(work_dir, 'last_checkpoint')) as f:
        ckpt = f.read().strip()
    run([sys.executable, 'tools/test.py', config, ckpt, '--work-dir',
         work_dir, '--out', metrics_file, '--out-item', 'metrics',
         '--cfg-options'] + opts, osp.join(work_dir, 'test.log'), env)
    return metrics_file


def iterations_of(work_dir):
    """SGD steps of a finished run: the iteration its last checkpoint was
    saved at (``meta['iter']``; the logged steps of scalars.json stop at the
    last multiple of the logging interval), None without a checkpoint."""
    import glob
    import torch
    path = None
    pointer = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(pointer):
        with open(pointer) as f:
            path = f.read().strip()
        if not osp.isabs(path) and not osp.isfile(path):
            path = osp.join(work_dir, osp.basename(path))
    if not path or not osp.isfile(path):
        found = sorted(glob.glob(osp.join(work_dir, '*.pth')),
                       key=osp.getmtime)
        path = found[-1] if found else None
    if path is None:
        return None
    # mmap: only the meta is read, not the weights
    ckpt = torch.load(path, map_location='cpu', weights_only=False,
                      mmap=True)
    return int(ckpt['meta']['iter'])


def training_counts(config, cfg_options):
    """n_i of the config's training set as loaded (no images needed)."""
    opts = None
    if cfg_options:  # the key=value strings also given to every run
        ns = argparse.Namespace()
        DictAction(option_strings=[], dest='opts')(None, ns, list(cfg_options))
        opts = ns.opts
    return training_label_stats(config, opts).counts


def git_commit(out_dir, repo=REPO, most=3):
    """HEAD, and the paths that differ from it (outside ``out_dir``, which
    holds this tool's own earlier output): ``<sha> (with uncommitted
    changes: a.py, b.md, +2 more)``."""
    try:
        out = subprocess.run(['git', 'rev-parse', 'HEAD'], cwd=repo,
                             capture_output=True, text=True, check=True)
        inside = osp.relpath(osp.abspath(out_dir), repo)
        skip = [] if inside.startswith('..') else [f':(exclude){inside}']
        status = subprocess.run(
            ['git', 'status', '--porcelain', '--untracked-files=all', '--',
             '.'] + skip,
            cwd=repo, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return 'unknown'
    # porcelain v1: two status letters and a space, then the path (a
    # rename reads "old -> new")
    paths = [line[3:].split(' -> ')[-1] for line in status.splitlines()]
    if not paths:
        return out.stdout.strip()
    more = f', +{len(paths) - most} more' if len(paths) > most else ''
    return (f'{out.stdout.strip()} (with uncommitted changes: '
            f'{", ".join(paths[:most])}{more})')


def config_digest(config, cfg_options):
    """SHA-256 of the resolved config (with the overrides every run gets),
    to notice a recorded run whose config has changed since."""
    from mmengine.config import Config
    cfg = Config.fromfile(config)
    if cfg_options:
        ns = argparse.Namespace()
        DictAction(option_strings=[], dest='opts')(None, ns, list(cfg_options))
        cfg.merge_from_dict(ns.opts)
    text = json.dumps(cfg.to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def machine():
    model = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            names = [x.split(':', 1)[1].strip() for x in f
                     if x.startswith('model name')]
        if names:
            model = names[0]
    except OSError:
        pass
    import torch  # its vector kernels here (AVX2 vs AVX512: ~2.5x apart)
    return (f'{model}, {os.cpu_count()} CPUs, '
            f'torch {torch.backends.cpu.get_cpu_capability()}')


def load_recorded(out_dir, name='results.json'):
    """``(runs, info)`` of an earlier results.json in ``out_dir``: metrics
    and provenance per method and seed (seeds as ints)."""
    path = osp.join(out_dir, name)
    if not osp.isfile(path):
        return {}, {}
    data = load_json(path, 'Remove it (and the runs it recorded will be '
                     'made again) or restore it from git.')
    runs = {m: {int(s): r for s, r in by_seed.items()}
            for m, by_seed in data.get('runs', {}).items()}
    info = {m: {int(s): r for s, r in by_seed.items()}
            for m, by_seed in data.get('run_info', {}).items()}
    for m, by_seed in runs.items():  # files written before run_info existed
        for s in by_seed:
            info.setdefault(m, {}).setdefault(
                s, dict(commit=data.get('commit', 'unknown')))
    return runs, info


def write_results(out_dir, command, seeds, counts, runs, info, commit):
    os.makedirs(out_dir, exist_ok=True)
    summary = aggregate(runs)
    with open(osp.join(out_dir, 'results.json'), 'w') as f:
        json.dump(dict(
            command=command, commit=commit, seeds=seeds,
            class_counts=np.asarray(counts).tolist(), runs=runs,
            run_info=info,
            summary={m: {k: (v.tolist() if isinstance(v, np.ndarray) else v)
                         for k, v in row.items()}
                     for m, row in summary.items()}), f, indent=1)
    return summary


def provenance_lines(info):
    """One line per (commit, machine): which runs were made there."""
    groups = {}
    for method, by_seed in info.items():
        for seed, r in sorted(by_seed.items()):
            key = (r.get('commit', 'unknown'), r.get('machine', 'not recorded'))
            groups.setdefault(key, {}).setdefault(method, []).append(seed)
    lines = []
    for (commit, where), methods in groups.items():
        what = '; '.join(f'{m} (seeds {", ".join(map(str, s))})'
                         for m, s in methods.items())
        lines.append(f'- commit `{commit}`, machine: {where}: {what}')
    return '\n'.join(lines)


def parse_sensitivity(specs):
    """``['gamma-=0:a,3:b']`` -> ``{'gamma-': [(0.0, 'a'), (3.0, 'b')]}``."""
    factors = {}
    for spec in specs:
        factor, sep, points = spec.partition('=')
        try:
            if not sep or not factor:
                raise ValueError
            pts = []
            for item in points.split(','):
                value, name = item.split(':', 1)
                pts.append((float(value), name))
        except ValueError:
            raise SystemExit(f'--sensitivity {spec!r}: expected '
                             'FACTOR=VALUE:NAME,VALUE:NAME,...')
        factors[factor] = pts
    return factors


def parse_options_as(specs, names, chosen, path):
    """``['A=B']`` -> ``{'A': 'B'}``: config A takes B's chosen options;
    A must be one of the configs and have no options of its own, B must
    have some in ``chosen`` (read from ``path``)."""
    source = {}
    for spec in specs:
        name, sep, src = spec.partition('=')
        if not sep or not name or not src:
            raise SystemExit(f'--options-as {spec!r}: expected NAME=SOURCE '
                             '(config names).')
        if name not in names:
            raise SystemExit(f'--options-as {spec}: {name} is not among the '
                             f'configs ({", ".join(names)}).')
        if src not in chosen:
            raise SystemExit(f'--options-as {spec}: {path} has no options '
                             f'for {src}.')
        if name in chosen:
            raise SystemExit(f'--options-as {spec}: {path} has options of '
                             f'its own for {name}; drop one of the two.')
        if name in source:
            raise SystemExit(f'--options-as: {name} given twice.')
        source[name] = src
    return source


def per_config_options(options_from, options_as, names):
    """``{name: ['key=value', ...]}``: each config's options from the
    chosen.json ``options_from`` (or its --options-as source's); ``{}``
    without a file."""
    if not options_from:
        if options_as:
            raise SystemExit('--options-as needs --options-from.')
        return {}
    if not osp.isfile(options_from):
        raise SystemExit(f'--options-from {options_from}: no such file.')
    chosen = load_json(options_from)
    source = parse_options_as(options_as, names, chosen, options_from)
    missing = [n for n in names if n not in chosen and n not in source]
    if missing:
        raise SystemExit(f'--options-from {options_from} has no options '
                         f'for {", ".join(missing)} (an ablation of a tuned '
                         'config: --options-as NAME=SOURCE).')
    return {n: [f'{k}={v}' for k, v in chosen[source.get(n, n)].items()]
            for n in names}


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
    parser.add_argument('--paired', nargs='+', default=[], metavar='NAME',
                        help='paired t-tests of every method against these')
    parser.add_argument('--sensitivity', action='append', default=[],
                        metavar='FACTOR=V:NAME,V:NAME',
                        help='methods that differ in one factor, plotted '
                        'against its value (repeatable)')
    parser.add_argument('--columns', nargs='+', metavar='COL',
                        type=column_name,  # unknown: fails before training
                        help='table columns (default: mAP, head, middle, '
                        'tail and every one of CP CR CF1 OP OR OF1 the runs '
                        'have), e.g. --columns mAP mAP_tail CF1 OF1')
    parser.add_argument('--seed-major', action='store_true',
                        help='run every method with the first seed, then the '
                        'next seed, ... (partial results cover all methods)')
    parser.add_argument('--reuse', nargs='+', default=[], metavar='JSON',
                        help='also take runs recorded in these results.json '
                        'files of other comparisons')
    parser.add_argument('--jobs', type=int, default=1,
                        help='runs at a time (each with OMP_NUM_THREADS = '
                        'cores / jobs unless set)')
    parser.add_argument('--options-from', metavar='JSON',
                        help='per-config overrides, {config name: {key: '
                        'value}}, e.g. the chosen.json of tune.py (applied '
                        'after --cfg-options)')
    parser.add_argument('--options-as', nargs='+', default=[],
                        metavar='NAME=SOURCE',
                        help='with --options-from: config NAME takes the '
                        'options chosen for SOURCE (ablations at a tuned '
                        "method's settings)")
    parser.add_argument('--rerun', nargs='+', default=[], metavar='NAME',
                        help='methods (config names) whose runs recorded at '
                        'another commit are made again')
    args = parser.parse_args(argv)
    names = [method_name(c) for c in args.configs]
    factors = parse_sensitivity(args.sensitivity)
    for flag, given in (('--rerun', args.rerun), ('--paired', args.paired),
                        ('--sensitivity', [m for pts in factors.values()
                                           for _, m in pts])):
        unknown = sorted(set(given) - set(names))
        if unknown:
            raise SystemExit(f'{flag} {" ".join(unknown)}: not among the '
                             f'configs ({", ".join(names)}).')
    command = 'python tools/analysis_tools/compare_methods.py ' + ' '.join(
        (argv if argv is not None else sys.argv[1:]))
    commit = git_commit(args.out)
    where = machine()
    counts = training_counts(args.configs[0], args.cfg_options)
    recorded, recorded_info = load_recorded(args.out)
    for path in args.reuse:  # runs recorded by other comparisons
        if not osp.isfile(path):
            raise SystemExit(f'--reuse {path}: no such file.')
        more, more_info = load_recorded(osp.dirname(path) or '.',
                                        osp.basename(path))
        for m in more:
            for seed in more[m]:
                if seed not in recorded.get(m, {}):
                    recorded.setdefault(m, {})[seed] = more[m][seed]
                    recorded_info.setdefault(m, {})[seed] = more_info[m][seed]

    per_config = per_config_options(args.options_from, args.options_as,
                                    names)
    options = {n: list(args.cfg_options) + per_config.get(n, [])
               for n in names}
    runs, info, total = {}, {}, len(args.configs) * len(args.seeds)
    start, done, failed = time.time(), 0, []
    digests = {name: config_digest(config, options[name])
               for config, name in zip(args.configs, names)}
    for name in names:
        runs[name], info[name] = {}, {}
    pairs = [(c, n, s) for c, n in zip(args.configs, names)
             for s in args.seeds]
    if args.seed_major:  # every method gets seed 0 first, then seed 1, ...
        pairs.sort(key=lambda p: args.seeds.index(p[2]))
    plan = []  # in run order: (config, name, seed, work_dir or None)
    for config, name, seed in pairs:
        digest = digests[name]
        work_dir = osp.join(args.work_root, name, f'seed_{seed}')
        old = recorded_info.get(name, {}).get(seed)
        # --rerun: runs recorded at another commit are made again
        reuse = seed in recorded.get(name, {}) and (
            name not in args.rerun or old.get('commit') == commit)
        changed = reuse and old.get('config_sha256') not in (None, digest)
        if changed:
            print(f'{name} seed {seed}: its config changed since it was '
                  'recorded; running it again.', flush=True)
            reuse = False
        if reuse:
            runs[name][seed], info[name][seed] = recorded[name][seed], old
            plan.append((config, name, seed, None))
            continue
        # a recorded run made again starts from an empty work dir (its old
        # metrics file must not stand in for the new run)
        if (changed or name in args.rerun) and osp.isdir(work_dir):
            shutil.rmtree(work_dir)
        plan.append((config, name, seed, work_dir))

    env = dict(os.environ)
    if args.jobs > 1 and 'OMP_NUM_THREADS' not in env:
        env['OMP_NUM_THREADS'] = str(max(1, (os.cpu_count() or 1) //
                                         args.jobs))

    def make(config, name, seed, work_dir):
        t0 = time.time()
        fresh = not osp.isfile(osp.join(work_dir, 'metrics.json'))
        # the code this run imports: HEAD (and the tree) as it starts;
        # unknown for a metrics file left by an earlier, unrecorded run
        run_commit = git_commit(args.out) if fresh else \
            'not recorded (metrics file of an earlier run)'
        path = train_and_test(config, seed, work_dir, options[name],
                              env if args.jobs > 1 else None)
        return path, time.time() - t0, fresh, run_commit

    def report(name, seed, how):
        nonlocal done
        done += 1
        print(f'[{done}/{total}] {name} seed {seed}: mAP '
              f'{runs[name][seed]["mAP"]:.2f} ({how}; '
              f'{time.time() - start:.0f} s elapsed)', flush=True)

    def finish(name, seed, work_dir, get):
        """Record a finished run (``get()`` returns make's result)."""
        nonlocal done
        try:
            path, seconds, fresh, run_commit = get()
        except SystemExit as e:  # a failed run is not recorded
            failed.append(f'{name} seed {seed}')
            done += 1
            print(f'[{done}/{total}] {name} seed {seed}: FAILED, not '
                  f'recorded; the study goes on.\n{e}', flush=True)
            return
        runs[name][seed] = load_metrics(path)
        info[name][seed] = dict(
            commit=run_commit, machine=where, config_sha256=digests[name],
            seconds=round(seconds, 1) if fresh else None,
            iterations=iterations_of(work_dir),
            options=per_config.get(name, []))
        # partial results: every recorded run, updated by this one
        merged_runs = {m: dict(r) for m, r in recorded.items()}
        merged_info = {m: dict(r) for m, r in recorded_info.items()}
        for m in runs:
            if runs[m]:  # methods not reached yet stay out
                merged_runs.setdefault(m, {}).update(runs[m])
                merged_info.setdefault(m, {}).update(info[m])
        write_results(args.out, command, args.seeds, counts, merged_runs,
                      merged_info, commit)
        report(name, seed, 'ran' if fresh else 'from its metrics file')

    if args.jobs == 1:  # in order, one at a time
        for config, name, seed, work_dir in plan:
            if work_dir is None:
                report(name, seed, 'recorded')
            else:
                finish(name, seed, work_dir,
                       lambda: make(config, name, seed, work_dir))
    else:
        for config, name, seed, work_dir in plan:
            if work_dir is None:
                report(name, seed, 'recorded')
        with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
            futures = {pool.submit(make, *p): p for p in plan
                       if p[3] is not None}
            for fut in concurrent.futures.as_completed(futures):
                _, name, seed, work_dir = futures[fut]
                finish(name, seed, work_dir, fut.result)

    runs = {m: r for m, r in runs.items() if r}
    info = {m: r for m, r in info.items() if m in runs}
    if not runs:
        raise SystemExit(f'{len(failed)} run(s) failed and were not '
                         'recorded, and no run succeeded: ' +
                         ', '.join(failed))
    summary = write_results(args.out, command, args.seeds, counts, runs, info,
                            commit)
    plots = plot_comparison(summary, counts, args.out)
    table = markdown_table(summary, args.columns)
    extra = ''
    if args.paired:
        tests = {r: paired_tests(runs, r) for r in args.paired}
        extra += ('## Paired tests\n\nmAP difference (method − reference, '
                  'mean ± sample std over the common seeds) and the two-sided '
                  'p-value of a paired t-test (scipy.stats.ttest_rel; the '
                  'pairs share the seed).\n\n' + paired_table(tests) +
                  '\n\n')
        with open(osp.join(args.out, 'results.json')) as f:
            data = json.load(f)
        data['paired_tests'] = {  # NaN (too few seeds) as null
            r: {m: {k: (None if isinstance(v, float) and np.isnan(v) else v)
                    for k, v in row.items()} for m, row in t.items()}
            for r, t in tests.items()}
        with open(osp.join(args.out, 'results.json'), 'w') as f:
            json.dump(data, f, indent=1)
    if factors:
        plots.append(plot_sensitivity(summary, factors, osp.join(
            args.out, 'sensitivity.png')))
        extra += '## Sensitivity\n\n'
        for factor, points in factors.items():
            extra += (f'{factor}:\n\n' + markdown_table(
                {f'{factor} = {v:g} ({m})': summary[m]
                 for v, m in sorted(points)}, args.columns) + '\n\n')
    with open(osp.join(args.out, 'results.md'), 'w') as f:
        f.write('# Method comparison\n\n' + table + '\n\n'
                'mAP in %, mean ± sample std over the seeds; groups by '
                'training count (head >= 100, middle 20-99, tail < 20). '
                'CP, CR, CF1, OP, OR, OF1 (where shown): per-class and '
                'overall precision, recall and F1 at score 0.5 '
                '(LongTailMAP).\n\n'
                + extra + f'Command: `{command}`\n\nCommit: `{commit}`\n\n'
                'Where each run was made (runs recorded earlier keep their '
                'commit):\n\n' + provenance_lines(info) + '\n\n'
                f'Per-run metrics: `results.json` (`runs`); metric files of '
                f'the runs made here: `{args.work_root}/<method>/seed_<s>/'
                'metrics.json`.\n\n' +
                ''.join(f'![{osp.basename(p)}]({osp.basename(p)})\n'
                        for p in plots))
    print(table)
    print(f'Written to {args.out}: results.md, results.json, ' +
          ', '.join(osp.basename(p) for p in plots))
    if failed:
        raise SystemExit(f'{len(failed)} run(s) failed and were not '
                         'recorded (logs in their work dirs): ' +
                         ', '.join(failed))


if __name__ == '__main__':
    main()
