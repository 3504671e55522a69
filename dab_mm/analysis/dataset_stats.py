"""Statistics of a multi-label training set: class counts, head / middle /
tail groups, labels per image, co-occurrence; JSON-ready and as PNG plots."""
import json
import os
import os.path as osp

import numpy as np

from dab_mm.datasets.label_stats import LabelStats, class_groups


def dataset_statistics(labels: np.ndarray, class_names, head_thr=100,
                       tail_thr=20) -> dict:
    """JSON-ready statistics of an (N, C) multi-hot matrix."""
    stats = LabelStats.from_labels(labels, class_names)
    card = labels.sum(1)
    counts = stats.counts
    with np.errstate(invalid='ignore', divide='ignore'):
        cond = np.where(counts[:, None] > 0,
                        stats.cooccurrence / counts[:, None], 0.0)
    return dict(
        num_images=stats.num_images,
        classes=list(class_names),
        class_counts=counts.tolist(),
        thresholds=dict(head=head_thr, tail=tail_thr),
        groups=class_groups(counts, head_thr, tail_thr),
        imbalance=float(counts.max() / max(counts.min(), 1)),
        labels_per_image=dict(
            mean=float(card.mean()) if len(card) else 0.0,
            min=int(card.min()) if len(card) else 0,
            max=int(card.max()) if len(card) else 0,
            histogram=np.bincount(card).tolist() if len(card) else []),
        cooccurrence=stats.cooccurrence.tolist(),
        conditional_probability=np.round(cond, 6).tolist())


def plot_dataset_statistics(stats: dict, out_dir: str,
                            prefix: str = '') -> list:
    """``<prefix>count_histogram.png`` and ``<prefix>cooccurrence.png``."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    names, counts = stats['classes'], np.array(stats['class_counts'])
    order = np.argsort(-counts)
    colour = {'head': 'tab:blue', 'middle': 'tab:orange', 'tail': 'tab:red'}
    group_of = {c: g for g, idx in stats['groups'].items() for c in idx}
    paths = []
    fig, ax = plt.subplots(figsize=(max(6, 0.35 * len(names) + 2), 4.5))
    ax.bar(range(len(names)), counts[order],
           color=[colour[group_of[int(c)]] for c in order])
    for g, col in colour.items():
        ax.bar([0], [0], color=col, label=f'{g} ({len(stats["groups"][g])})')
    ax.axhline(stats['thresholds']['head'], color='grey', ls='--', lw=0.8)
    ax.axhline(stats['thresholds']['tail'], color='grey', ls=':', lw=0.8)
    ax.set_yscale('log')
    ax.set_xticks(range(len(names)), [names[c] for c in order], rotation=90,
                  fontsize=7)
    ax.set_ylabel('training images (log scale)')
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths.append(osp.join(out_dir, f'{prefix}count_histogram.png'))
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    cond = np.array(stats['conditional_probability'])[order][:, order]
    fig, ax = plt.subplots(figsize=(max(5, 0.3 * len(names) + 2),) * 2)
    im = ax.imshow(cond, cmap='viridis', vmin=0, vmax=1)
    ax.set_xticks(range(len(names)), [names[c] for c in order], rotation=90,
                  fontsize=6)
    ax.set_yticks(range(len(names)), [names[c] for c in order], fontsize=6)
    ax.set_xlabel('j')
    ax.set_ylabel('i')
    ax.set_title('P(label j | label i), classes by count')
    fig.colorbar(im, fraction=0.046)
    fig.tight_layout()
    paths.append(osp.join(out_dir, f'{prefix}cooccurrence.png'))
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    return paths


def write_dataset_statistics(labels: np.ndarray, class_names, out_dir: str,
                             head_thr: int = 100, tail_thr: int = 20,
                             prefix: str = ''):
    """Write ``stats.json``, ``count_histogram.png`` and ``cooccurrence.png``
    to ``out_dir``, each name preceded by ``prefix`` (e.g. ``'train_'``).

    Returns:
        tuple: (stats dict, list of written paths).
    """
    stats = dataset_statistics(labels, class_names, head_thr, tail_thr)
    os.makedirs(out_dir, exist_ok=True)
    path = osp.join(out_dir, f'{prefix}stats.json')
    with open(path, 'w') as f:
        json.dump(stats, f, indent=1)
    return stats, [path] + plot_dataset_statistics(stats, out_dir, prefix)


def describe(stats: dict) -> str:
    """One line: images, classes, counts, groups, labels per image."""
    groups = ', '.join(f'{k} {len(v)}' for k, v in stats['groups'].items())
    return (f'{stats["num_images"]} images, {len(stats["classes"])} classes, '
            f'counts {stats["class_counts"]}, groups {groups}, '
            f'{stats["labels_per_image"]["mean"]:.2f} labels per image')
