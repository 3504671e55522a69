"""Statistics of a multi-label training annotation file: class counts,
head / middle / tail groups, labels per image and co-occurrence, as JSON and
PNG plots (count histogram with group shading, co-occurrence heatmap).

  python tools/analysis_tools/dataset_stats.py dab_mm/datasets/annotations/voc_mlt_train.json --out work_dirs/voc_mlt_stats
  python tools/analysis_tools/dataset_stats.py my_train.txt --classes classes.txt --out stats/

Any annotation file MLTDataset reads works (OpenMMLab 2.0 JSON, or a text
list); images are not needed.
"""
import argparse
import json
import os
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from dab_mm.datasets import MLTDataset  # noqa: E402
from dab_mm.datasets.label_stats import (LabelStats, class_groups,  # noqa
                                         label_matrix)


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


def plot_statistics(stats: dict, out_dir: str) -> list:
    """count_histogram.png and cooccurrence.png."""
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
    paths.append(osp.join(out_dir, 'count_histogram.png'))
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
    paths.append(osp.join(out_dir, 'cooccurrence.png'))
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    return paths


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('ann_file')
    parser.add_argument('--classes', help='class names file (one per line) '
                        'when the annotation file has none')
    parser.add_argument('--out', required=True)
    parser.add_argument('--head-thr', type=int, default=100)
    parser.add_argument('--tail-thr', type=int, default=20)
    args = parser.parse_args(argv)
    ds = MLTDataset(ann_file=args.ann_file, classes=args.classes,
                    check_files=False)
    stats = dataset_statistics(label_matrix(ds), ds.metainfo['classes'],
                               args.head_thr, args.tail_thr)
    os.makedirs(args.out, exist_ok=True)
    with open(osp.join(args.out, 'stats.json'), 'w') as f:
        json.dump(stats, f, indent=1)
    plots = plot_statistics(stats, args.out)
    groups = {k: len(v) for k, v in stats['groups'].items()}
    print(f'{stats["num_images"]} images, {len(stats["classes"])} classes, '
          f'counts {stats["class_counts"]}, groups {groups}, '
          f'{stats["labels_per_image"]["mean"]:.2f} labels per image')
    print('Written: ' + ', '.join(
        [osp.join(args.out, 'stats.json')] + plots))


if __name__ == '__main__':
    main()
