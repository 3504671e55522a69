"""Aggregate per-run metric files into a method comparison (mean ± std over
seeds): a Markdown table and PNG plots."""
import argparse
import os.path as osp
import warnings
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..utils.io import load_json

COLUMNS = ('mAP', 'mAP_head', 'mAP_middle', 'mAP_tail')
# LongTailMAP's threshold metrics (ML-GCN / ASL papers' names)
F1_COLUMNS = ('CP', 'CR', 'CF1', 'OP', 'OR', 'OF1')
LABELS = dict(zip(COLUMNS, ('mAP', 'head', 'middle', 'tail')),
              **{c: c for c in F1_COLUMNS})


def load_metrics(path: str, prefix: str = 'mlt/') -> dict:
    """A ``tools/test.py --out X --out-item metrics`` file, prefix removed."""
    data = load_json(path, 'Re-run tools/test.py with --out FILE '
                     '--out-item metrics to rewrite it.')
    return {k[len(prefix):] if k.startswith(prefix) else k: v
            for k, v in data.items()}


def aggregate(runs: Dict[str, Dict[int, dict]]) -> Dict[str, dict]:
    """Mean and sample std (ddof=1; 0 for a single seed) over seeds. A
    column missing from any seed's metrics (a group without evaluable
    classes) is left out of the row.

    Args:
        runs: ``{method: {seed: metrics}}``.

    Returns:
        ``{method: {'seeds': [...], column: (mean, std), 'AP_classwise':
        (C,) mean per-class AP}}``.
    """
    out = {}
    for method, by_seed in runs.items():
        seeds = sorted(by_seed)
        row = {'seeds': seeds}
        for col in COLUMNS + F1_COLUMNS:
            if not all(col in by_seed[s] for s in seeds):
                continue  # a group without evaluable classes, or runs
                # recorded before LongTailMAP reported CP ... OF1
            vals = np.array([by_seed[s][col] for s in seeds], dtype=float)
            row[col] = (float(vals.mean()),
                        float(vals.std(ddof=1)) if len(vals) > 1 else 0.0)
        per_class = np.array(
            [[np.nan if a is None else a for a in by_seed[s]['AP_classwise']]
             for s in seeds], dtype=float)
        with warnings.catch_warnings():  # a class without AP stays NaN
            warnings.simplefilter('ignore', RuntimeWarning)
            row['AP_classwise'] = np.nanmean(per_class, 0)
        out[method] = row
    return out


def table_columns(summary: Dict[str, dict],
                  columns: Optional[Sequence[str]] = None) -> List[str]:
    """The columns to show: ``columns`` if given (each must be one of
    COLUMNS + F1_COLUMNS), else the four mAP columns and every threshold
    metric that some row has."""
    if columns:
        unknown = [c for c in columns if c not in LABELS]
        if unknown:
            raise ValueError(f'unknown column(s) {", ".join(unknown)}; choose '
                             f'from {", ".join(LABELS)}.')
        return list(columns)
    return list(COLUMNS) + [c for c in F1_COLUMNS
                            if any(c in row for row in summary.values())]


def column_name(name: str) -> str:
    """argparse ``type`` of a ``--columns`` item: an unknown column fails at
    argument parsing (exit 2, naming it and the choices), before any run or
    file is touched."""
    try:
        table_columns({}, [name])
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e))
    return name


def markdown_table(summary: Dict[str, dict],
                   columns: Optional[Sequence[str]] = None) -> str:
    """``| method | seeds | mAP | head | middle | tail | ...`` rows, mean ±
    std ('—' where a row lacks the column); see :func:`table_columns`."""
    columns = table_columns(summary, columns)
    lines = ['| method | seeds | ' + ' | '.join(LABELS[c] for c in columns) +
             ' |', '|---|---|' + '---|' * len(columns)]
    for method, row in summary.items():
        cells = [f'{row[c][0]:.2f} ± {row[c][1]:.2f}' if c in row else '—'
                 for c in columns]
        lines.append(f'| {method} | {len(row["seeds"])} | ' +
                     ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def shade_groups(ax, counts, head_thr: int, tail_thr: int, label_y: float):
    """Shade the tail and middle count ranges of a log-x axis and name the
    three groups at height ``label_y``. Returns the x limits."""
    counts = np.asarray(counts)
    lo, hi = counts.min() * 0.8, counts.max() * 1.25
    for (a, b), name, shade in (((lo, tail_thr), 'tail', 0.12),
                                ((tail_thr, head_thr), 'middle', 0.06),
                                ((head_thr, hi), 'head', 0.0)):
        if shade and a < b:
            ax.axvspan(a, b, color='grey', alpha=shade, lw=0)
        if max(a, lo) < min(b, hi):
            ax.text(np.sqrt(max(a, lo) * min(b, hi)), label_y, name,
                    ha='center', va='bottom', fontsize=9)
    return lo, hi


def plot_comparison(summary: Dict[str, dict], class_counts: Sequence[int],
                    out_dir: str, head_thr: int = 100,
                    tail_thr: int = 20) -> List[str]:
    """Two PNGs: per-class AP against training count (a scatter, log x,
    groups shaded, each method's group means as horizontal bars across the
    group's count range) and grouped bars (total/head/middle/tail) with std
    error bars."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from dab_mm.datasets.label_stats import class_groups
    counts = np.asarray(class_counts)
    groups = class_groups(counts, head_thr, tail_thr)
    paths = []
    fig, ax = plt.subplots(figsize=(8, 5 + 0.15 * ((len(summary) + 2) // 3)))
    lo, hi = shade_groups(ax, counts, head_thr, tail_thr, label_y=101)
    spans = {'tail': (lo, tail_thr), 'middle': (tail_thr, head_thr),
             'head': (head_thr, hi)}
    colours = plt.get_cmap('tab20').colors  # distinct for up to 20 methods
    markers = 'osD^vP*Xh<>p'
    n = len(summary)
    for i, (method, row) in enumerate(summary.items()):
        ap = np.asarray(row['AP_classwise'], dtype=float)
        colour = colours[i % 20]
        # one marker per class; methods shifted a little along log x so
        # that classes of equal count stay apart (no line: classes have no
        # order between them)
        shift = 10 ** (0.015 * (i - (n - 1) / 2))
        ax.scatter(counts * shift, ap, s=14, marker=markers[i % len(markers)],
                   color=colour, alpha=0.8, linewidths=0, label=method)
        for name, idx in groups.items():
            valid = [k for k in idx if not np.isnan(ap[k])]
            a, b = spans[name]
            if valid and max(a, lo) < min(b, hi):
                ax.hlines(ap[valid].mean(), max(a, lo), min(b, hi),
                          color=colour, lw=1.5, alpha=0.7)
    ax.set_xscale('log')
    ax.set_xlim(lo, hi)
    ax.set_ylim(0, 108)
    ax.set_xlabel('training images of the class (log scale)')
    ax.set_ylabel('AP (%), mean over seeds; bars: group means')
    ax.legend(fontsize=7, ncol=3, loc='upper center',
              bbox_to_anchor=(0.5, -0.12))
    fig.tight_layout()
    paths.append(osp.join(out_dir, 'ap_vs_count.png'))
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(max(8, 0.9 * len(summary) + 3), 5))
    width = 0.8 / len(summary)
    x = np.arange(len(COLUMNS))
    for i, (method, row) in enumerate(summary.items()):
        means = [row[c][0] if c in row else 0.0 for c in COLUMNS]
        stds = [row[c][1] if c in row else 0.0 for c in COLUMNS]
        ax.bar(x + (i - (len(summary) - 1) / 2) * width, means, width,
               yerr=stds, capsize=2, label=method, color=colours[i % 20])
    ax.set_xticks(x, ['total', 'head', 'middle', 'tail'])
    ax.set_ylabel('mAP (%), mean ± std over seeds')
    ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    paths.append(osp.join(out_dir, 'group_map.png'))
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    return paths


def paired_tests(runs: Dict[str, Dict[int, dict]], reference: str,
                 column: str = 'mAP') -> Dict[str, dict]:
    """Paired two-sided t-test of every method against ``reference`` on the
    seeds both have (the same seed gives both methods the same data order
    and initialisation of everything but the loss/sampler).

    Returns ``{method: {'n', 'diff' (mean of method - reference), 'diff_std'
    (sample std of the differences), 't', 'p'}}``; ``t``/``p`` are NaN with
    fewer than 2 common seeds or identical differences.
    """
    from scipy import stats
    if reference not in runs:
        raise KeyError(f'paired test: reference method {reference!r} has no '
                       f'runs (methods: {", ".join(runs)}).')
    out = {}
    for method, by_seed in runs.items():
        if method == reference:
            continue
        seeds = sorted(set(by_seed) & set(runs[reference]))
        a = np.array([by_seed[s][column] for s in seeds], dtype=float)
        b = np.array([runs[reference][s][column] for s in seeds], dtype=float)
        d = a - b
        row = dict(n=len(seeds), diff=float(d.mean()) if len(d) else np.nan,
                   diff_std=float(d.std(ddof=1)) if len(d) > 1 else np.nan,
                   t=np.nan, p=np.nan)
        if len(d) > 1 and np.ptp(d) > 0:
            res = stats.ttest_rel(a, b)
            row.update(t=float(res.statistic), p=float(res.pvalue))
        out[method] = row
    return out


def paired_table(tests: Dict[str, Dict[str, dict]]) -> str:
    """Markdown: one row per method, for each reference the mean paired
    difference ± its std and the two-sided p of the paired t-test."""
    refs = list(tests)
    methods = []
    for r in refs:
        methods += [m for m in tests[r] if m not in methods]
    lines = ['| method | ' + ' | '.join(f'Δ vs {r} | p' for r in refs) + ' |',
             '|---|' + '---|---|' * len(refs)]
    for m in methods:
        cells = []
        for r in refs:
            row = tests[r].get(m)
            if row is None:
                cells += ['—', '—']
                continue
            cells.append(f'{row["diff"]:+.2f} ± {row["diff_std"]:.2f} '
                         f'(n={row["n"]})')
            cells.append('—' if np.isnan(row['p']) else f'{row["p"]:.3f}')
        lines.append(f'| {m} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot_sensitivity(summary: Dict[str, dict],
                     factors: Dict[str, List[tuple]], out_path: str,
                     columns: Sequence[str] = COLUMNS) -> str:
    """One panel per factor: mAP (mean ± std over seeds) against the
    factor's value, one line per group column. ``factors`` maps a factor
    name to ``[(value, method), ...]``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(factors), figsize=(4.5 * len(factors), 4),
                             squeeze=False)
    names = dict(zip(COLUMNS, ('total', 'head', 'middle', 'tail')))
    for ax, (factor, points) in zip(axes[0], factors.items()):
        missing = [m for _, m in points if m not in summary]
        if missing:
            raise KeyError(f'sensitivity {factor}: no runs of {missing}.')
        points = sorted(points, key=lambda p: p[0])
        xs = [v for v, _ in points]
        for col in columns:
            rows = [summary[m] for _, m in points]
            if not all(col in r for r in rows):
                continue
            ax.errorbar(xs, [r[col][0] for r in rows],
                        yerr=[r[col][1] for r in rows], marker='o', ms=4,
                        capsize=3, label=names.get(col, col),
                        lw=2 if col == 'mAP' else 1)
        ax.set_xticks(xs)
        ax.set_xlabel(factor)
        ax.set_ylabel('mAP (%), mean ± std over seeds')
        ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out_path, dpi=120)
    plt.close(fig)
    return out_path
