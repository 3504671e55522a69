"""Per-class and per-group analysis of ``tools/test.py`` outputs.

Two output formats of ``tools/test.py`` are read, none is invented:

* ``--out preds.pkl``: mmengine's :class:`DumpResults` pickle, one dict per
  test image with ``pred_score`` and ``gt_label`` (or ``gt_score``); AP is
  computed here with :meth:`LongTailMAP.average_precision`;
* ``--out metrics.json --out-item metrics``: the metrics dict, whose
  ``<prefix>/AP_classwise`` (percent, ``None`` for a class without
  positives) is taken as is.

Groups come from the training class counts (see
:func:`training_label_stats`), as in :class:`.LongTailMAP`.
"""
import csv
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from dab_mm.datasets.label_stats import GROUP_NAMES, class_groups
from dab_mm.evaluation.comparison import (COLUMNS, F1_COLUMNS, aggregate,
                                          markdown_table,
                                          plot_comparison, shade_groups)
from dab_mm.evaluation.metrics import LongTailMAP
from dab_mm.utils.io import load_pickle, load_structured


def _load_any(path: str):
    if not osp.isfile(path):
        raise FileNotFoundError(f'Result file "{path}" does not exist.')
    hint = ('Re-run tools/test.py with --out to rewrite it; the file may be '
            'truncated.')
    if path.endswith(('.pkl', '.pickle')):
        return load_pickle(path, hint)
    return load_structured(path, hint)


def _to_numpy(x) -> np.ndarray:
    if hasattr(x, 'detach'):
        x = x.detach().cpu().numpy()
    return np.asarray(x)


def predictions_arrays(samples: Sequence[dict],
                       where: str = 'predictions'):
    """``(scores, targets)``, (N, C) float64 and bool, of dumped predictions
    (``DumpResults`` dicts with ``pred_score`` and ``gt_label`` class indices
    or ``gt_score``). ``where`` names the source in error messages."""
    if not samples:
        raise ValueError(f'{where}: no predictions.')
    scores, targets = [], []
    for i, s in enumerate(samples):
        if not isinstance(s, dict) or 'pred_score' not in s:
            raise ValueError(f'{where}[{i}]: no "pred_score"; is this a '
                             '`tools/test.py --out X.pkl` predictions file?')
        score = _to_numpy(s['pred_score']).astype(np.float64).reshape(-1)
        target = np.zeros(score.shape, dtype=bool)
        if 'gt_score' in s:
            target = _to_numpy(s['gt_score']).reshape(-1) > 0
        elif 'gt_label' in s:
            target[_to_numpy(s['gt_label']).astype(np.int64).reshape(-1)] = True
        else:
            raise ValueError(f'{where}[{i}]: no "gt_label" or "gt_score": the '
                             'test set had no labels, AP cannot be computed.')
        if scores and score.shape != scores[0].shape:
            raise ValueError(f'{where}[{i}]: {score.size} scores, '
                             f'{scores[0].size} in the first sample.')
        scores.append(score)
        targets.append(target)
    return np.stack(scores), np.stack(targets)


def ap_from_predictions(samples: Sequence[dict],
                        where: str = 'predictions') -> np.ndarray:
    """Per-class AP (percent, NaN without positives) of dumped predictions
    (see :func:`predictions_arrays`)."""
    return LongTailMAP.average_precision(
        *predictions_arrays(samples, where)) * 100


def load_run(path: str, prefix: str = 'mlt/', thr: float = 0.5) -> dict:
    """Per-class AP (``'AP_classwise'``, percent, NaN for none) and, where
    the file allows, CP ... OF1 of one result file: computed at ``thr`` from
    a predictions pickle, or as recorded in a ``tools/test.py`` metrics
    file."""
    data = _load_any(path)
    if isinstance(data, list):
        scores, targets = predictions_arrays(data, path)
        out = LongTailMAP.threshold_metrics(scores, targets, thr)
        out['AP_classwise'] = LongTailMAP.average_precision(
            scores, targets) * 100
        return out
    out = {c: data[prefix + c] for c in F1_COLUMNS
           if isinstance(data, dict) and prefix + c in data}
    out['AP_classwise'] = load_classwise_ap(path, prefix, data)
    return out


def load_classwise_ap(path: str, prefix: str = 'mlt/',
                      data=None) -> np.ndarray:
    """Per-class AP (percent, NaN for none) from a predictions pickle or a
    metrics file of ``tools/test.py`` (``data``: its content, if loaded)."""
    if data is None:
        data = _load_any(path)
    if isinstance(data, list):
        return ap_from_predictions(data, path)
    if isinstance(data, dict):
        for key in (f'{prefix}AP_classwise', 'AP_classwise'):
            if key in data:
                return np.array([np.nan if a is None else a
                                 for a in data[key]], dtype=np.float64)
        raise ValueError(
            f'{path}: a metrics file without "{prefix}AP_classwise". It comes '
            'from `tools/test.py ... --out metrics.json --out-item metrics` '
            'with the LongTailMAP metric (mmpretrain\'s AveragePrecision does '
            'not report per-class AP by default).')
    raise ValueError(f'{path}: neither a predictions list nor a metrics dict '
                     f'(got {type(data).__name__}).')


def load_config(config, cfg_options: Optional[dict] = None):
    """A config file (or Config) with ``cfg_options`` merged in."""
    from mmengine.config import Config
    cfg = Config.fromfile(config) if isinstance(config, str) else config
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def training_label_stats(config, cfg_options: Optional[dict] = None):
    """Training class counts and names of a config's
    ``train_dataloader.dataset`` (built without images or transforms);
    ``config`` is a file or a Config."""
    from mmengine.registry import init_default_scope

    from dab_mm.datasets.label_stats import LabelStats, build_label_dataset
    cfg = load_config(config, cfg_options)
    if 'train_dataloader' not in cfg or 'dataset' not in cfg.train_dataloader:
        raise ValueError(f'{cfg.filename}: no train_dataloader.dataset, so no '
                         'training counts; give --train-ann instead.')
    init_default_scope(cfg.get('default_scope', 'mmpretrain'))
    return LabelStats.from_dataset(build_label_dataset(
        cfg.train_dataloader.dataset))


def evaluator_group_thresholds(cfg) -> Tuple[int, int]:
    """``(head_thr, tail_thr)`` of the config's :class:`.LongTailMAP`
    (``test_evaluator``, else ``val_evaluator``; a metric or a list of
    them), else LongTailMAP's defaults: the groups ``tools/test.py``
    reports."""
    import inspect
    defaults = inspect.signature(LongTailMAP).parameters
    for key in ('test_evaluator', 'val_evaluator'):
        metrics = cfg.get(key) or []
        if isinstance(metrics, dict):
            metrics = metrics.get('metrics', [metrics])
            metrics = metrics if isinstance(metrics, list) else [metrics]
        for m in metrics:
            if isinstance(m, dict) and m.get('type') in (
                    'LongTailMAP', LongTailMAP):
                return (int(m.get('head_thr', defaults['head_thr'].default)),
                        int(m.get('tail_thr', defaults['tail_thr'].default)))
    return defaults['head_thr'].default, defaults['tail_thr'].default


def parse_run_spec(spec: str) -> Tuple[str, List[str]]:
    """``NAME=PATH[,PATH...]`` or ``PATH`` (name: the file's folder)."""
    if '=' in spec and not osp.exists(spec):
        name, paths = spec.split('=', 1)
    else:
        name, paths = '', spec
    paths = [p for p in paths.split(',') if p]
    if not paths:
        raise ValueError(f'"{spec}": no result file.')
    if not name:
        name = osp.basename(osp.dirname(osp.abspath(paths[0]))) or \
            osp.splitext(osp.basename(paths[0]))[0]
    return name, paths


def analyze_runs(runs: Dict[str, List[str]], counts: Sequence[int],
                 head_thr: int = 100, tail_thr: int = 20, thr: float = 0.5
                 ) -> Dict[str, dict]:
    """Group mAP and CP ... OF1 (mean ± std over the files of a run) and
    mean per-class AP.

    Args:
        runs: ``{name: [result files]}`` (several files: e.g. seeds).
        counts: Training images per class.
        thr: Score threshold of CP ... OF1 computed from predictions files
            (metrics files carry their own).

    Returns:
        ``{name: {'seeds': [...], 'mAP': (mean, std), 'mAP_head': ...,
        'AP_classwise': (C,) mean AP, percent}}`` (as :func:`aggregate`).
    """
    counts = np.asarray(counts)
    groups = class_groups(counts, head_thr, tail_thr)
    by_run = {}
    for name, paths in runs.items():
        by_run[name] = {}
        for i, path in enumerate(paths):
            run = load_run(path, thr=thr)
            ap = run.pop('AP_classwise')
            if ap.shape != counts.shape:
                raise ValueError(
                    f'{path}: {ap.size} classes, but the training set has '
                    f'{counts.size}. Is it a result of this config?')
            metrics = LongTailMAP.summarize(ap / 100, groups)
            metrics.update(run)  # CP ... OF1 where known
            metrics['AP_classwise'] = [None if np.isnan(a) else float(a)
                                       for a in ap]
            by_run[name][i] = metrics
    return aggregate(by_run)


def write_analysis(summary: Dict[str, dict], counts: Sequence[int],
                   class_names: Sequence[str], out_dir: str,
                   head_thr: int = 100, tail_thr: int = 20,
                   columns: Optional[Sequence[str]] = None) -> List[str]:
    """summary.md, per_class.csv and PNGs (AP vs count, group mAP and, for
    two runs or more, AP gain over the first run vs count)."""
    os.makedirs(out_dir, exist_ok=True)
    counts = np.asarray(counts)
    group_of = {c: g for g, idx in class_groups(counts, head_thr,
                                                tail_thr).items() for c in idx}
    names = list(summary)
    paths = [osp.join(out_dir, 'summary.md')]
    with open(paths[-1], 'w') as f:
        f.write(markdown_table(summary, columns) + '\n')
    paths.append(osp.join(out_dir, 'per_class.csv'))
    with open(paths[-1], 'w', newline='') as f:
        w = csv.writer(f)
        w.writerow(['class', 'train_count', 'group'] + [f'AP_{n}' for n in names] +
                   [f'gain_{n}' for n in names[1:]])
        for c in np.argsort(-counts, kind='stable'):
            aps = [summary[n]['AP_classwise'][c] for n in names]
            fmt = lambda v: '' if np.isnan(v) else f'{v:.2f}'  # noqa: E731
            w.writerow([class_names[c], int(counts[c]), group_of[int(c)]] +
                       [fmt(a) for a in aps] +
                       [fmt(a - aps[0]) for a in aps[1:]])
    paths += plot_comparison(summary, counts, out_dir, head_thr, tail_thr)
    if len(names) > 1:
        paths.append(plot_gain(summary, counts, class_names, out_dir,
                               head_thr, tail_thr))
    return paths


def plot_gain(summary: Dict[str, dict], counts: Sequence[int],
              class_names: Sequence[str], out_dir: str, head_thr: int = 100,
              tail_thr: int = 20) -> str:
    """ap_gain.png: AP of each run minus the first run's, per class, against
    training count (log scale, groups shaded); the largest changes named."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    counts = np.asarray(counts, dtype=float)
    names = list(summary)
    base = summary[names[0]]['AP_classwise']
    fig, ax = plt.subplots(figsize=(8, 5))
    ax.axhline(0, color='black', lw=0.8)
    colours = plt.get_cmap('tab10').colors
    rng = np.random.default_rng(0)  # jitter classes with equal counts apart
    x = counts * np.exp(rng.uniform(-0.04, 0.04, counts.shape))
    for i, name in enumerate(names[1:], start=1):
        gain = summary[name]['AP_classwise'] - base
        ax.scatter(x, gain, s=14, color=colours[(i - 1) % 10],
                   label=f'{name} - {names[0]}')
        ok = np.flatnonzero(~np.isnan(gain))
        for c in ok[np.argsort(-np.abs(gain[ok]))][:5]:
            ax.annotate(class_names[c], (x[c], gain[c]), fontsize=6,
                        xytext=(3, 2), textcoords='offset points')
    top = ax.get_ylim()[1]
    ax.set_ylim(top=top + 0.08 * (top - ax.get_ylim()[0]))
    lo, hi = shade_groups(ax, counts, head_thr, tail_thr, label_y=top)
    ax.set_xscale('log')
    ax.set_xlim(lo, hi)
    ax.set_xlabel('training images of the class (log scale)')
    ax.set_ylabel(f'AP gain over {names[0]} (points)')
    ax.legend(fontsize=7)
    fig.tight_layout()
    path = osp.join(out_dir, 'ap_gain.png')
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def group_lines(summary: Dict[str, dict]) -> List[str]:
    """``name: mAP a ± s, head ..., middle ..., tail ...`` per run."""
    out = []
    for name, row in summary.items():
        cells = [f'{label} {row[c][0]:.2f} ± {row[c][1]:.2f}'
                 for c, label in zip(COLUMNS, ('mAP', ) + GROUP_NAMES)
                 if c in row]
        out.append(f'{name} ({len(row["seeds"])} file(s)): ' + ', '.join(cells))
    return out
