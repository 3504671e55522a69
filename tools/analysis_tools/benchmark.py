"""Speed benchmarks of dab-mm's components, as ratios against a baseline
measured in the same run (so they hold across machines):

  python tools/analysis_tools/benchmark.py [--only metric] [--repeat 3]

Sections:
  metric  LongTailMAP.average_precision vs a scikit-learn
          average_precision_score loop over classes, at 5000 x 80 and
          20000 x 1000 (random scores with ties), same values checked.

Each timing is the best of --repeat runs. Not a test: nothing here asserts a
speed; the output is recorded in the README with the command and commit.
"""
import argparse
import os.path as osp
import platform
import sys
import time

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)


def best_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def bench_metric(repeat):
    from sklearn.metrics import average_precision_score

    from dab_mm.evaluation import LongTailMAP
    rows = []
    for n, c in ((5000, 80), (20000, 1000)):
        rng = np.random.default_rng(0)
        labels = (rng.random((n, c)) < 0.05).astype(np.int64)
        labels[0] = 1  # every class has a positive
        scores = np.round(rng.random((n, c)).astype(np.float32) * 1000) / 1000

        def sk():
            return np.array([average_precision_score(labels[:, k],
                                                     scores[:, k])
                             for k in range(c)])

        t_sk, ap_sk = best_time(sk, repeat)
        t_ours, ap = best_time(
            lambda: LongTailMAP.average_precision(scores, labels), repeat)
        same = bool(np.array_equal(ap, ap_sk))
        rows.append((f'LongTailMAP AP, {n} x {c}', t_sk, t_ours, same))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('--only', nargs='+', default=['metric'],
                        choices=['metric'])
    parser.add_argument('--repeat', type=int, default=3)
    args = parser.parse_args(argv)
    print(f'# machine: {platform.processor() or platform.machine()}, '
          f'Python {platform.python_version()}, numpy {np.__version__}')
    print('| what | baseline (s) | dab-mm (s) | speed-up | same values |')
    print('|---|---|---|---|---|')
    sections = dict(metric=bench_metric)
    for name in args.only:
        for what, t_base, t_ours, same in sections[name](args.repeat):
            print(f'| {what} | {t_base:.3f} | {t_ours:.3f} | '
                  f'{t_base / t_ours:.1f}x | {"yes" if same else "NO"} |',
                  flush=True)


if __name__ == '__main__':
    main()
