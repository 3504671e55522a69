"""Aggregate per-run metric files into a method comparison (mean ± std over
seeds): a Markdown table and PNG plots."""
import warnings
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np

from ..utils.io import load_json

COLUMNS = ('mAP', 'mAP_head', 'mAP_middle', 'mAP_tail')


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
        for col in COLUMNS:
            if not all(col in by_seed[s] for s in seeds):
                continue  # a group without evaluable classes
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


def markdown_table(summary: Dict[str, dict]) -> str:
    """``| method | seeds | mAP | head | middle | tail |`` rows, mean ± std."""
    lines = ['| method | seeds | mAP | head | middle | tail |',
             '|---|---|---|---|---|---|']
    for method, row in summary.items():
        cells = [f'{row[c][0]:.2f} ± {row[c][1]:.2f}' if c in row else '—'
                 for c in COLUMNS]
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
    """Two PNGs: per-class AP against training count (log scale, groups
    shaded) and grouped bars (total/head/middle/tail) with std error bars."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    counts = np.asarray(class_counts)
    paths = []
    fig, ax = plt.subplots(figsize=(8, 5))
    lo, hi = shade_groups(ax, counts, head_thr, tail_thr, label_y=101)
    order = np.argsort(counts)
    colours = plt.get_cmap('tab20').colors  # distinct for up to 20 methods
    for i, (method, row) in enumerate(summary.items()):
        ap = row['AP_classwise']
        ax.plot(counts[order], ap[order], marker='o', ms=3, lw=1,
                color=colours[i % 20], label=method)
    ax.set_xscale('log')
    ax.set_xlim(lo, hi)
    ax.set_ylim(0, 108)
    ax.set_xlabel('training images of the class (log scale)')
    ax.set_ylabel('AP (%), mean over seeds')
    ax.legend(fontsize=7, ncol=2)
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
