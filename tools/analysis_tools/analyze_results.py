"""Per-class AP against training count and head / middle / tail comparison
of one or more runs, from the outputs of tools/test.py.

  # one run: its predictions (tools/test.py CFG CKPT --out preds.pkl)
  python tools/analysis_tools/analyze_results.py work_dirs/dab/preds.pkl \
      --config configs/dab/dab_r101_voc_mlt.py --out work_dirs/analysis

  # several runs, several seeds each (metrics files of
  # tools/test.py ... --out metrics.json --out-item metrics), first is the
  # reference for the gains
  python tools/analysis_tools/analyze_results.py \
      erm=work_dirs/erm/s0/metrics.json,work_dirs/erm/s1/metrics.json \
      dab=work_dirs/dab/s0/metrics.json,work_dirs/dab/s1/metrics.json \
      --config configs/dab/dab_r101_voc_mlt.py --out work_dirs/analysis

A result is NAME=FILE[,FILE...] or FILE (named after its folder). Training
counts (which define the groups) come from --config (its
train_dataloader.dataset, built without images) or --train-ann. The group
thresholds are those of the config's LongTailMAP (head_thr, tail_thr: the
groups tools/test.py reports), else 100 / 20; --head-thr / --tail-thr
override them.

Writes to --out: summary.md (mean ± std over each run's files of total /
head / middle / tail mAP and CP, CR, CF1, OP, OR, OF1 where known: computed at
--thr from predictions, as recorded in metrics files), per_class.csv
(count, group, AP per run, gain over the first run), analysis.json,
ap_vs_count.png, group_map.png and, for two runs or more, ap_gain.png.
"""
import argparse
import json
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmengine.config import DictAction  # noqa: E402

from dab_mm.analysis.results import (  # noqa: E402
    analyze_runs, evaluator_group_thresholds, group_lines, load_config,
    parse_run_spec, training_label_stats, write_analysis)
from dab_mm.evaluation.comparison import column_name  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('results', nargs='+', help='NAME=FILE[,FILE...] or '
                        'FILE: predictions .pkl or metrics files of '
                        'tools/test.py')
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument('--config', help='config whose training set gives the '
                     'class counts')
    src.add_argument('--train-ann', help='training annotation file instead '
                     'of a config')
    parser.add_argument('--classes', help='class names file for --train-ann '
                        'text lists')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides, key=value')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--head-thr', type=int,
                        help="head classes: count >= this (default: the "
                        "config's LongTailMAP head_thr, else 100)")
    parser.add_argument('--tail-thr', type=int,
                        help="tail classes: count < this (default: the "
                        "config's LongTailMAP tail_thr, else 20)")
    parser.add_argument('--thr', type=float, default=0.5,
                        help='score threshold of CP, CR, CF1, OP, OR, OF1 '
                        'computed from predictions files (default 0.5)')
    parser.add_argument('--columns', nargs='+', metavar='COL',
                        type=column_name,
                        help='summary.md columns (default: mAP, head, '
                        'middle, tail and CP ... OF1 where known)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    head_thr, tail_thr = 100, 20
    if args.config:
        cfg = load_config(args.config, args.cfg_options)
        stats = training_label_stats(cfg)
        head_thr, tail_thr = evaluator_group_thresholds(cfg)
    else:
        from dab_mm.datasets import LabelStats, MLTDataset
        stats = LabelStats.from_dataset(MLTDataset(
            ann_file=args.train_ann, classes=args.classes, check_files=False))
    head_thr = head_thr if args.head_thr is None else args.head_thr
    tail_thr = tail_thr if args.tail_thr is None else args.tail_thr
    counts = stats.counts
    names = stats.class_names or tuple(str(i) for i in range(len(counts)))
    runs = {}
    for spec in args.results:
        name, paths = parse_run_spec(spec)
        if name in runs:
            raise SystemExit(f'Two results are named {name!r}; name them '
                             'with NAME=FILE.')
        runs[name] = paths
    summary = analyze_runs(runs, counts, head_thr, tail_thr, args.thr)
    paths = write_analysis(summary, counts, names, args.out, head_thr,
                           tail_thr, args.columns)
    rows = {}
    for name, row in summary.items():
        rows[name] = dict(row, files=runs[name], AP_classwise=[
            None if np.isnan(a) else round(float(a), 4)
            for a in row['AP_classwise']])
    out = dict(classes=list(names), train_counts=counts.tolist(),
               thresholds=dict(head=head_thr, tail=tail_thr),
               runs=rows)
    path = osp.join(args.out, 'analysis.json')
    with open(path, 'w') as f:
        json.dump(out, f, indent=1)
    print('\n'.join(group_lines(summary)))
    print('Written: ' + ', '.join(paths + [path]))


if __name__ == '__main__':
    main()
