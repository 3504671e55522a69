"""Choose each method's settings on the validation split: train every config
at every point of a grid, read the validation mAP after every epoch, keep
per config the setting with the best final validation mAP (mean over the
seeds). The test set is never evaluated here.

  python tools/analysis_tools/tune.py configs/erm/erm_effl0_voc_mlt_fd.py \\
      configs/rs/rs_effl0_voc_mlt_fd.py \\
      --grid optim_wrapper.optimizer.lr=0.1,0.2,0.4,0.8 \\
      --seeds 0 --work-root work_dirs/tune_voc_mlt_fd \\
      --out results/voc_mlt_fd/tuning --jobs 2

  # a second stage from the first stage's choices (e.g. DAB's gamma- at
  # DAB's chosen lr, for a config of its own):
  python tools/analysis_tools/tune.py \\
      configs/dab/dab-tuned_effl0_voc_mlt_fd.py \\
      --start results/voc_mlt_fd/tuning/chosen.json \\
      --start-from dab_effl0_voc_mlt_fd \\
      --grid model.head.loss.gamma_neg=0,1,2,3 \\
      --out results/voc_mlt_fd/tuning

Each run is ``tools/train.py CONFIG --cfg-options randomness.seed=S
train_cfg.val_interval=V <--cfg-options> <start options> <grid point>`` in
``WORK_ROOT/<config name>/<setting>/seed_S``; its validation metrics per
epoch come from mmengine's ``vis_data/scalars.json``. Written to OUT:

* ``tuning.json``: every run (setting, seed, validation mAP per epoch,
  iterations, seconds, commit, machine, config digest) and every stage
  (command, grid, the choices it made). A training that diverges (NaN or
  inf logits, loss or validation scores) is a result, not a failure: it is
  recorded with ``diverged`` (the error line) and its validation rows so
  far, ranks below every setting that did not, and reads "diverged" in
  tuning.md; any other failure is reported and not recorded;
* ``chosen.json``: ``{config name: {key: value}}``, the options of each
  config's chosen setting in the last stage (in stage order) that tuned
  it, for ``compare_methods.py --options-from``; a stage started from it
  (``--start``) takes every option but its own grid's keys, so it can be
  run again or grown after it has chosen;
* ``tuning.md``: the validation mAP of every setting, the chosen one in
  bold; ``convergence.png``: validation mAP per epoch of every config at
  its chosen setting.

Resumable like compare_methods.py: a run recorded in tuning.json with the
same resolved config is not repeated (one whose resolved config has
changed, say a default edited in its config file, is made again in an
emptied work dir, its old record kept in tuning.json's ``superseded``),
the same command continues its
stage, and a command that grows a stage (more grid values or configs, the
same seeds and resolved configs: say a value past a winner on the grid's
edge) replaces it, keeping its runs and number; tuning.json is rewritten
after every run (one writing call per OUT at a time: OUT/.tune.lock;
stop a study with ``kill -- -<process group>`` so its trainings stop
too). ``--report-only`` writes tuning.md, chosen.json and the plot from
the runs recorded so far, without running or writing tuning.json.
``--jobs N`` runs N trainings at a time (each with OMP_NUM_THREADS =
cores / N unless set).
"""
import argparse
import concurrent.futures
import glob
import importlib.util
import itertools
import json
import os
import os.path as osp
import shutil
import signal
import sys
import time

import numpy as np

HERE = osp.dirname(osp.abspath(__file__))
REPO = osp.dirname(osp.dirname(HERE))
sys.path.insert(0, REPO)


def _compare_methods():
    spec = importlib.util.spec_from_file_location(
        'compare_methods', osp.join(HERE, 'compare_methods.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


cm = _compare_methods()


def parse_grid(specs):
    """``['a=1,2', 'b=x']`` -> ``[('a', ['1', '2']), ('b', ['x'])]``."""
    grid = []
    for spec in specs:
        key, sep, values = spec.partition('=')
        values = [v for v in values.split(',') if v]
        if not sep or not key or not values:
            raise SystemExit(f'--grid {spec!r}: expected KEY=V1,V2,...')
        if key in [k for k, _ in grid]:
            raise SystemExit(f'--grid {key} given twice.')
        grid.append((key, values))
    return grid


def setting_name(options):
    """A file-name-safe, readable name of a setting."""
    if not options:
        return 'default'
    last = [k.split('.')[-1] for k in options]
    # the last part of each key, the whole key where two would read alike
    return '_'.join(f'{k if last.count(k.split(".")[-1]) > 1 else k.split(".")[-1]}={v}'
                    for k, v in options.items())


def read_scalars(work_dir):
    """``(val mAP per epoch, iterations)`` of a run: the validation rows of
    the newest ``vis_data/scalars.json`` under ``work_dir`` and the SGD
    steps of its last checkpoint."""
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data',
                                      'scalars.json')))
    if not files:
        raise FileNotFoundError(f'{work_dir}: no vis_data/scalars.json.')
    val = {}
    with open(files[-1]) as f:
        for line in f:
            row = json.loads(line)
            if 'mlt/mAP' in row:
                val[int(row['step'])] = dict(epoch=int(row['step']), **{
                    k[len('mlt/'):]: v for k, v in row.items()
                    if k.startswith('mlt/') and not isinstance(v, list)})
    if not val:
        raise ValueError(f'{files[-1]}: no validation metrics (is '
                         'train_cfg.val_interval set?).')
    epochs = sorted(val)
    return [val[e] for e in epochs], cm.iterations_of(work_dir)


def train_one(config, options, seed, work_dir, threads, val_interval=1,
              out_dir='.', digest=None, stale=False):
    """Train (unless a finished run of the same resolved config is in
    ``work_dir``) and read its validation record.

    ``work_dir/tune_config_sha256`` holds the digest of the config a run
    there was made from; a finished run of another config (or, for a work
    dir older than that file, one whose recorded digest differs:
    ``stale``) is removed and made again, never relabelled."""
    done = osp.join(work_dir, 'tune_done')
    diverged = osp.join(work_dir, 'tune_diverged')
    stamp = osp.join(work_dir, 'tune_config_sha256')
    if osp.isdir(work_dir):
        made = None
        if osp.isfile(stamp):
            with open(stamp) as f:
                made = f.read().strip()
        if (made is None and stale) or (
                made is not None and digest and made != digest):
            shutil.rmtree(work_dir)
    os.makedirs(work_dir, exist_ok=True)
    if digest:
        with open(stamp, 'w') as f:
            f.write(digest + '\n')
    t0 = time.time()
    # the code the training imports: HEAD (and the tree) as it starts
    commit = 'not recorded (finished in an earlier, unrecorded call)'
    message = None
    if osp.isfile(diverged):
        with open(diverged) as f:
            message = f.read().strip()
        seconds = None
    elif not osp.isfile(done):
        commit = cm.git_commit(out_dir)
        opts = [f'randomness.seed={seed}',
                f'train_cfg.val_interval={val_interval}'] + [
            f'{k}={v}' for k, v in options.items()]
        env = dict(os.environ)
        if threads and 'OMP_NUM_THREADS' not in os.environ:
            env['OMP_NUM_THREADS'] = str(threads)
        log = osp.join(work_dir, 'train.log')
        try:
            cm.run([sys.executable, 'tools/train.py', config, '--work-dir',
                    work_dir, '--cfg-options'] + opts, log, env=env)
        except SystemExit:
            message = divergence(log)
            if message is None:
                raise
            with open(diverged, 'w') as f:
                f.write(message + '\n')
        else:
            open(done, 'w').close()
        seconds = round(time.time() - t0, 1)
    else:
        seconds = None
    if message is not None:
        # a result of the grid like any other (ranked below every finite
        # one), not a failure to retry: the same setting diverges again
        try:
            val = read_scalars(work_dir)[0]
        except (FileNotFoundError, ValueError):
            val = []
        return dict(val=val, iterations=None, seconds=seconds,
                    commit=commit, diverged=message)
    val, iters = read_scalars(work_dir)
    return dict(val=val, iterations=iters, seconds=seconds, commit=commit)


# What a diverged training prints: the losses' finite check
# (FiniteLogitCheck) or the metric meeting NaN scores (LongTailMAP).
DIVERGED = ('FloatingPointError: ', 'the model diverged')


def divergence(log_path):
    """The line of a failed training's log that says it diverged (NaN or
    inf logits, loss or scores), None when it failed otherwise."""
    with open(log_path, errors='replace') as f:
        lines = f.read().splitlines()
    for line in reversed(lines):
        if any(d in line for d in DIVERGED):
            return line.strip()
    return None


def final_map(run):
    """The final validation mAP of a recorded run; -inf when it diverged
    (worse than any run that did not)."""
    return -np.inf if run.get('diverged') else run['val'][-1]['mAP']


def hold_lock(path):
    """One writing tune.py per results folder (two would drop each
    other's runs from tuning.json); released at exit."""
    import atexit
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        with open(path) as f:
            owner = f.read().strip()
        raise SystemExit(
            f'{path}: another tune.py ({owner}) writes to this folder. Wait '
            'for it, or delete the file if that process is gone; '
            '--report-only reads without it.')
    with os.fdopen(fd, 'w') as f:
        f.write(f'pid {os.getpid()} on {os.uname().nodename}')

    def release(*_):
        if osp.exists(path):
            os.remove(path)

    atexit.register(release)

    def on_term(signum, frame):  # kill -TERM: the lock goes too
        release()
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_term)


def choose(records, name, settings, seeds):
    """The setting (of ``settings``) with the best mean final validation
    mAP over ``seeds``; ``(None, nan)`` while any setting lacks a seed (a
    choice among part of the grid would not be the grid's)."""
    best, best_map = None, -np.inf
    for key in settings:
        runs = records.get(name, {}).get(key, {}).get('seeds', {})
        if not all(str(s) in runs for s in seeds):
            return None, float('nan')
        value = float(np.mean([final_map(runs[str(s)]) for s in seeds]))
        if value > best_map:
            best, best_map = key, value
    if best is None:  # every setting diverged: nothing to choose
        return None, float('-inf')
    return best, best_map


def grows(old, new, data, digests):
    """Whether stage ``new`` is stage ``old`` grown: a superset of its
    configs and settings, with its seeds and grid keys, and every run
    ``old`` recorded made from the config ``new`` would make."""
    if (old['seeds'] != new['seeds'] or set(old['grid']) != set(new['grid'])
            or old.get('start') != new.get('start')
            or not set(old['configs']) <= set(new['configs'])
            or not set(old['settings']) <= set(new['settings'])):
        return False
    for name in old['configs']:
        for key in old['settings']:
            runs = data['runs'].get(name, {}).get(key, {}).get('seeds', {})
            for seed in old['seeds']:
                run = runs.get(str(seed))
                if run and run.get('config_sha256') != digests.get(
                        (name, key)):
                    return False
    return True


def write_markdown(out_dir, data):
    lines = ['# Tuning on the validation split', '',
             'Validation mAP (%) after the last epoch, mean over the seeds '
             '(per-epoch values in `tuning.json`); **bold**: the chosen '
             'setting of each config and stage. The test set is not '
             'evaluated.', '']
    for stage in data['stages']:
        commits = {}
        for name in stage['configs']:
            for key in stage['settings']:
                for s in stage['seeds']:
                    run = data['runs'].get(name, {}).get(key, {}).get(
                        'seeds', {}).get(str(s))
                    if run:
                        c = run.get('commit', 'unknown')
                        commits[c] = commits.get(c, 0) + 1
        lines += [f'## Stage {stage["index"]}', '',
                  f'Command: `{stage["command"]}`', '']
        for c in stage.get('grew_from', []):
            lines += [f'Grown from (its runs are this stage\'s): `{c}`', '']
        lines += ['Commits of its runs (as each training started; per run '
                  'in `tuning.json`): ' + (', '.join(
                      f'`{c}` ({n} runs)' for c, n in commits.items())
                      or 'none yet') + '.', '']
        keys = stage['settings']
        lines.append('| config | ' + ' | '.join(
            f'`{k}`' for k in keys) + ' | iterations |')
        lines.append('|---' * (len(keys) + 2) + '|')
        for name in stage['configs']:
            row, iters = [], set()
            for key in keys:
                runs = data['runs'].get(name, {}).get(key, {}).get(
                    'seeds', {})
                vals = [final_map(runs[str(s)]) for s in stage['seeds']
                        if str(s) in runs]
                iters |= {runs[str(s)]['iterations'] for s in stage['seeds']
                          if str(s) in runs and not runs[str(s)].get(
                              'diverged')}
                if not vals:
                    row.append('–')
                    continue
                n_div = sum(v == -np.inf for v in vals)
                cell = (f'{np.mean(vals):.2f}' if not n_div else 'diverged'
                        if n_div == len(vals) else
                        f'diverged ({n_div} of {len(vals)} seeds)')
                if len(vals) < len(stage['seeds']):
                    cell += f' ({len(vals)} of {len(stage["seeds"])} seeds)'
                if stage['chosen'].get(name) == key:
                    cell = f'**{cell}**'
                row.append(cell)
            lines.append(f'| {name} | ' + ' | '.join(row) + ' | ' +
                         ', '.join(str(i) for i in sorted(iters)) + ' |')
        lines.append('')
    if data.get('superseded'):
        lines += [f"{len(data['superseded'])} run(s) made from a resolved "
                  'config that has since changed, then made again, are '
                  'kept in `tuning.json` ("superseded").', '']
    lines += ['![convergence](convergence.png)', '']
    with open(osp.join(out_dir, 'tuning.md'), 'w') as f:
        f.write('\n'.join(lines))


def plot_convergence(out_dir, data, chosen_keys):
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 5))
    for name, key in sorted(chosen_keys.items()):
        runs = data['runs'][name][key]['seeds']
        first = next(iter(runs.values()))['val']
        curves = np.array([[e['mAP'] for e in r['val']] for r in runs.values()
                           if len(r['val']) == len(first)])
        epochs = [e['epoch'] for e in first]
        ax.plot(epochs, curves.mean(0), marker='o', ms=3,
                label=f'{name} ({key})')
    ax.set_xlabel('epoch')
    ax.set_ylabel('validation mAP (%)')
    ax.set_title('Validation mAP per epoch at the chosen settings')
    ax.grid(alpha=0.3)
    ax.legend(fontsize=6, loc='lower right')
    fig.tight_layout()
    path = osp.join(out_dir, 'convergence.png')
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('configs', nargs='+')
    parser.add_argument('--grid', action='append', default=[],
                        metavar='KEY=V1,V2', help='a config key and its '
                        'values (repeatable: the grid is the product)')
    parser.add_argument('--start', metavar='JSON',
                        help='chosen.json of an earlier stage: each config '
                        'starts from its chosen options')
    parser.add_argument('--start-from', metavar='NAME',
                        help='with --start: every config starts from the '
                        'options chosen for config NAME (e.g. a tuned '
                        'variant starting from its base method\'s lr)')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--work-root', default='work_dirs/tune')
    parser.add_argument('--out', required=True, help='results folder')
    parser.add_argument('--cfg-options', nargs='+', default=[],
                        help='key=value overrides of every run (before the '
                        'start options and the grid)')
    parser.add_argument('--jobs', type=int, default=1,
                        help='trainings at a time')
    parser.add_argument('--report-only', action='store_true',
                        help='make no run: write tuning.md, chosen.json and '
                        'the plot from the runs recorded so far (configs '
                        'missing a run get no choice)')
    parser.add_argument('--val-interval', type=int, default=1,
                        help='validate every this many epochs (the last '
                        'epoch should be one of them: it decides)')
    args = parser.parse_args(argv)
    grid = parse_grid(args.grid)
    names = [cm.method_name(c) for c in args.configs]
    if len(set(names)) != len(names):
        raise SystemExit('Two configs have the same name.')
    start = {}
    if args.start:
        if not osp.isfile(args.start):
            raise SystemExit(f'--start {args.start}: no such file.')
        with open(args.start) as f:
            start = json.load(f)
        if args.start_from:
            if args.start_from not in start:
                raise SystemExit(f'--start-from {args.start_from}: not in '
                                 f'{args.start} ({", ".join(start)}).')
            start = {n: start[args.start_from] for n in names}
    elif args.start_from:
        raise SystemExit('--start-from needs --start.')
    base = dict(o.split('=', 1) for o in args.cfg_options)
    given = argv if argv is not None else sys.argv[1:]
    # the stage's command: --report-only does not make another stage
    command = 'python tools/analysis_tools/tune.py ' + ' '.join(
        a for a in given if a != '--report-only')
    commit, where = cm.git_commit(args.out), cm.machine()
    os.makedirs(args.out, exist_ok=True)
    path = osp.join(args.out, 'tuning.json')
    if not args.report_only:
        hold_lock(osp.join(args.out, '.tune.lock'))
    data = dict(runs={}, stages=[], chosen={})
    if osp.isfile(path):
        with open(path) as f:
            data = json.load(f)

    points = [dict(zip([k for k, _ in grid], vals))
              for vals in itertools.product(*[v for _, v in grid])]
    jobs = []  # (config, name, key, options, seed)
    settings, digests = {}, {}
    for config, name in zip(args.configs, names):
        settings[name] = []
        # the start is every earlier choice but the grid's own keys: once
        # this stage has chosen, --start holds its choice too, and the same
        # command again (or grown) must make the same settings
        begin = {k: v for k, v in start.get(name, {}).items()
                 if k not in dict(grid)}
        for point in points:
            options = dict(base, **begin, **point)
            key = setting_name(dict(begin, **point))
            settings[name].append(key)
            digest = cm.config_digest(
                config, [f'{k}={v}' for k, v in options.items()] +
                [f'train_cfg.val_interval={args.val_interval}'])
            digests[name, key] = digest
            entry = data['runs'].setdefault(name, {}).setdefault(
                key, dict(options=options, seeds={}))
            for seed in args.seeds:
                old = entry['seeds'].get(str(seed))
                if old and old.get('config_sha256') == digest:
                    continue
                if old:  # made again: the old record is kept, not lost
                    print(f'{name} {key} seed {seed}: its resolved config '
                          'changed since it was recorded (config digest '
                          f'{old.get("config_sha256")}, now {digest}); '
                          'made again, the old record moves to '
                          "tuning.json's \"superseded\".", flush=True)
                jobs.append((config, name, key, options, seed, digest))
    stage = dict(index=len(data['stages']) + 1, command=command,
                 commit=commit, configs=names, seeds=args.seeds,
                 grid=dict(grid), start=args.start,
                 # every config's settings, in grid order, once
                 settings=list(dict.fromkeys(
                     k for keys in settings.values() for k in keys)),
                 chosen={})
    # the same command again continues its stage rather than adding one;
    # so does a command that grows an earlier stage (more configs or grid
    # values, the same seeds, its runs' resolved configs unchanged): e.g.
    # a value added where a winner lay on the grid's edge
    same = [s for s in data['stages']
            if s['command'] == command or grows(s, stage, data, digests)]
    if same:
        stage['index'] = min(s['index'] for s in same)
        stage['grew_from'] = list(dict.fromkeys(
            [c for s in same for c in s.get('grew_from', [])] +
            [s['command'] for s in same if s['command'] != command]))
        if not stage['grew_from']:
            del stage['grew_from']
        data['stages'] = [s for s in data['stages'] if s not in same]
    data['stages'].append(stage)
    data['stages'].sort(key=lambda s: s['index'])

    def save():
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            json.dump(data, f, indent=1)
        os.replace(tmp, path)

    threads = max(1, (os.cpu_count() or 1) // max(1, args.jobs))
    if args.report_only:
        print(f'--report-only: {len(jobs)} run(s) not made.', flush=True)
        jobs = []
    total, done, failed, t0 = len(jobs), 0, [], time.time()
    print(f'{total} run(s) to make, {args.jobs} at a time.', flush=True)
    with concurrent.futures.ThreadPoolExecutor(max(1, args.jobs)) as pool:
        futures = {
            pool.submit(train_one, config, options, seed, osp.join(
                args.work_root, name, key, f'seed_{seed}'),
                threads if args.jobs > 1 else None, args.val_interval,
                args.out, digest,
                str(seed) in data['runs'][name][key]['seeds']):
            (name, key, seed, digest, options)
            for config, name, key, options, seed, digest in jobs}
        for fut in concurrent.futures.as_completed(futures):
            # this job's own options (not the job-building loop's last)
            name, key, seed, digest, options = futures[fut]
            done += 1
            try:
                result = fut.result()
            except (SystemExit, OSError, ValueError) as e:
                failed.append(f'{name} {key} seed {seed}')
                print(f'[{done}/{total}] {name} {key} seed {seed}: FAILED, '
                      f'not recorded.\n{e}', flush=True)
                continue
            result.update(machine=where, config_sha256=digest)
            seeds = data['runs'][name][key]['seeds']
            if str(seed) in seeds:  # a run of another config, replaced
                data.setdefault('superseded', []).append(dict(
                    config=name, setting=key, seed=seed,
                    options=data['runs'][name][key]['options'],
                    run=seeds[str(seed)]))
            data['runs'][name][key]['options'] = options
            seeds[str(seed)] = result
            save()
            what = (f'DIVERGED, recorded ({result["diverged"]})'
                    if result.get('diverged') else
                    f'val mAP {result["val"][-1]["mAP"]:.2f} after epoch '
                    f'{result["val"][-1]["epoch"]}, {result["iterations"]} '
                    'iterations')
            print(f'[{done}/{total}] {name} {key} seed {seed}: {what} '
                  f'({time.time() - t0:.0f} s elapsed)', flush=True)

    if args.report_only:  # another call may be writing tuning.json
        save = lambda: None  # noqa: E731
    for name in names:
        key, value = choose(data['runs'], name, settings[name], args.seeds)
        if key is None:
            print(f'{name}: ' + ('no choice yet (runs missing).'
                                 if np.isnan(value) else
                                 'every setting diverged: no choice; '
                                 'extend the grid to lower values.'))
            continue
        stage['chosen'][name] = key
        print(f'{name}: {key} (validation mAP {value:.2f})')
    # a config's choice is that of the last stage (in stage order) that
    # chose for it, whichever stage this call made or continued
    latest = {}
    for st in data['stages']:
        latest.update(st['chosen'])
    for name, key in latest.items():
        data['chosen'][name] = {
            k: v for k, v in data['runs'][name][key]['options'].items()
            if k not in base}  # the study's own overrides: no choice
    save()
    with open(osp.join(args.out, 'chosen.json'), 'w') as f:
        json.dump(data['chosen'], f, indent=1, sort_keys=True)
    # convergence: every config's current choice, over all stages
    if latest:
        plot_convergence(args.out, data, latest)
    write_markdown(args.out, data)
    print(f'Written to {args.out}: ' + ('' if args.report_only else
                                         'tuning.json, ') +
          'chosen.json, tuning.md, convergence.png')
    if failed:
        raise SystemExit(f'{len(failed)} run(s) failed and were not '
                         'recorded: ' + ', '.join(failed))


if __name__ == '__main__':
    main()
