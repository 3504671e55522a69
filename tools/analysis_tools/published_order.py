"""Which published method orderings a study reproduces, pair by pair.

  python tools/analysis_tools/published_order.py results/fd_mlt_pretrained \\
      --benchmark voc_mlt [--metric mAP] [--out results/fd_mlt_pretrained/published_order.md]
      [--as dab=dab-tuned_effl0_voc_mlt_fd]

Reads the study's ``results.json`` (compare_methods.py; the mean over seeds
of each config), names each config by its method (the part before the first
``_``: ``erm_effl0_voc_mlt_fd`` -> ``erm``; variants such as ``dab-uniform``
stay apart) and compares, for every pair of methods that the study and a
published table of the benchmark (dab_mm/evaluation/published.py) both
have, the sign of their difference. Prints (and with --out writes) a
Markdown report: agreeing pairs out of all, Kendall's tau, and every pair
with both differences.

``--as METHOD=CONFIG`` (repeatable) lets another config of the study stand
for a published method, e.g. the validation-tuned DAB for the paper's DAB
row: the config that would otherwise be ``METHOD`` then keeps its own name
(``dab_effl0_voc_mlt_fd``) and is not compared.
"""
import argparse
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

from dab_mm.evaluation.published import (  # noqa: E402
    GROUPS, PUBLISHED, pairwise_agreement, published_column)
from dab_mm.utils.io import load_json  # noqa: E402


def study_means(results_dir, metric, stand_in=None):
    """method -> mean ``metric`` of a compare_methods.py results folder;
    ``stand_in`` maps a method to the config that stands for it."""
    stand_in = dict(stand_in or {})
    path = osp.join(results_dir, 'results.json')
    if not osp.isfile(path):
        raise SystemExit(f'{path}: no such file (a compare_methods.py '
                         'results folder has one).')
    summary = load_json(path).get('summary') or {}
    for method, config in stand_in.items():
        if config not in summary:
            raise SystemExit(
                f'--as {method}={config}: {path} has no config {config!r} '
                f'(it has {", ".join(summary) or "none"}).')
    standing = {c: m for m, c in stand_in.items()}
    means, config_of = {}, {}
    for config, row in summary.items():
        method = standing.get(config, config.split('_')[0])
        if method in stand_in and stand_in[method] != config:
            method = config
        if method in means:
            raise SystemExit(
                f'{path}: {config_of[method]} and {config} are both method '
                f'{method!r}; compare one setup at a time.')
        if metric not in row:
            raise SystemExit(f'{path}: {config} has no {metric!r} (it has '
                             f'{", ".join(k for k in row if k in GROUPS)}).')
        means[method], config_of[method] = row[metric][0], config
    if not means:
        raise SystemExit(f'{path}: no summary rows (no finished runs yet?).')
    return means, config_of


def report(results_dir, benchmark, metric='mAP', stand_in=None):
    means, config_of = study_means(results_dir, metric, stand_in)
    lines = [f'# `{results_dir}` against the published {benchmark} orderings '
             f'({metric})', '']
    for source, table in PUBLISHED[benchmark].items():
        published = published_column(table, metric)
        res = pairwise_agreement(means, published)
        lines += [f'## {source}', '']
        if not res['total']:
            lines += ['Fewer than two methods in common.', '']
            continue
        lines.append(
            f'**{res["agree"]} of {res["total"]} pairs agree** (Kendall τ = '
            f'{res["kendall_tau"]:.2f}) over '
            + ', '.join(f'{m} (`{config_of[m]}`)'
                        for m in published if m in means) + '.')
        extra = [m for m in means if m not in published]
        if res['missing'] or extra:
            lines.append('')
            lines.append('Not compared: ' + '; '.join(filter(None, [
                ('not in the study: ' + ', '.join(res['missing']))
                if res['missing'] else '',
                ('not in the table: ' + ', '.join(extra)) if extra else ''
            ])) + '.')
        lines += ['', '| pair | published a − b | this study a − b | agree |',
                  '|---|---|---|---|']
        for a, b, dp, do, agree in res['pairs']:
            lines.append(f'| {a} − {b} | {dp:+.2f} | {do:+.2f} | '
                         f'{"yes" if agree else "**no**"} |')
        lines.append('')
    return '\n'.join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('results', help='a compare_methods.py --out folder')
    parser.add_argument('--benchmark', required=True,
                        choices=sorted(PUBLISHED))
    parser.add_argument('--metric', default='mAP', choices=GROUPS)
    parser.add_argument('--out', help='also write the report to this file')
    parser.add_argument(
        '--as', dest='stand_in', action='append', default=[],
        metavar='METHOD=CONFIG',
        help='let CONFIG stand for the published METHOD (repeatable)')
    args = parser.parse_args(argv)
    stand_in = {}
    for item in args.stand_in:
        method, sep, config = item.partition('=')
        if not sep or not method or not config or method in stand_in:
            parser.error(f'--as {item!r}: expected METHOD=CONFIG, once per '
                         'method, e.g. --as dab=dab-tuned_effl0_voc_mlt_fd')
        stand_in[method] = config
    text = report(args.results, args.benchmark, args.metric, stand_in)
    print(text)
    if args.out:
        with open(args.out, 'w') as f:
            f.write(text)


if __name__ == '__main__':
    main()
