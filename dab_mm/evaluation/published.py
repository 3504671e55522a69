"""Published results on VOC-MLT and COCO-MLT, and how far a study's method
ordering agrees with them, pair by pair.

A benchmark "reproduces a published ordering" between two methods when it
ranks them the same way (the sign of the difference in mAP). Over all
pairs of methods that both the study and a table have, the count of
agreeing pairs and Kendall's tau (concordant minus discordant pairs over
all pairs) say how closely a benchmark's ranking follows the table.

The numbers are facts quoted from the papers (mAP in %, total / head /
middle / tail), not results of this project.
"""
import itertools
from typing import Dict, List, Sequence, Tuple

GROUPS = ('mAP', 'mAP_head', 'mAP_middle', 'mAP_tail')

# Zhu & Xiong, "Study on Multi-label Image Classification Based on Sample
# Distribution Loss", Computer Science 2022, Tables 2 (VOC-MLT) and 3
# (COCO-MLT). Its baseline rows (ERM, RW, RS, Focal, ML-GCN, DB-Focal) are
# those of Wu et al., "Distribution-Balanced Loss for Multi-Label
# Classification in Long-Tailed Datasets" (ECCV 2020; ResNet-50, 224 px),
# its DAB row the paper's own (ResNet-101, 448 px). Rows in the paper's
# order: ERM, RW, RS, Focal, ML-GCN, DB-Focal (its "DBL"), DAB.
PUBLISHED: Dict[str, Dict[str, dict]] = {
    'voc_mlt': {
        'DAB paper, Table 2 (baselines as in the DB paper)': {
            'erm': (70.86, 68.91, 80.20, 65.31),
            'rw': (74.70, 67.58, 82.81, 73.96),
            'rs': (75.38, 70.95, 82.94, 73.05),
            'focal': (73.88, 69.41, 81.43, 71.56),
            'mlgcn': (68.92, 70.14, 76.41, 62.39),
            'dbfocal': (78.94, 73.22, 84.18, 79.30),
            'dab': (79.19, 73.41, 84.37, 80.12),
        },
    },
    'coco_mlt': {
        'DAB paper, Table 3 (baselines as in the DB paper)': {
            'erm': (41.27, 48.48, 49.06, 24.25),
            'rw': (42.27, 48.62, 45.80, 32.02),
            'rs': (46.97, 47.58, 50.55, 41.70),
            'focal': (49.46, 49.80, 54.77, 42.14),
            'mlgcn': (44.24, 44.04, 48.36, 38.96),
            'dbfocal': (53.55, 51.13, 57.05, 51.06),
            'dab': (53.71, 52.02, 57.87, 51.73),
        },
    },
}


def published_column(table: Dict[str, tuple],
                     metric: str = 'mAP') -> Dict[str, float]:
    """One metric (``'mAP'``, ``'mAP_head'``, ...) of a published table."""
    if metric not in GROUPS:
        raise ValueError(f'metric must be one of {GROUPS}, got {metric!r}.')
    return {m: row[GROUPS.index(metric)] for m, row in table.items()}


def pairwise_agreement(ours: Dict[str, float], published: Dict[str, float],
                       methods: Sequence[str] = None) -> dict:
    """Compare two rankings pair by pair.

    Args:
        ours: method -> the study's value (e.g. mean mAP over seeds).
        published: method -> the published value.
        methods: the methods to compare, in this order (default: those in
            both, in ``published``'s order).

    Returns:
        dict with ``pairs`` (a list of ``(a, b, published a - b, ours a - b,
        agree)``), ``agree`` (count), ``total``, ``kendall_tau`` ((agreeing
        minus disagreeing) / total; a tie in either ranking counts as
        neither) and ``missing`` (published methods the study lacks).
    """
    if methods is None:
        methods = [m for m in published if m in ours]
    unknown = [m for m in methods if m not in ours or m not in published]
    if unknown:
        raise KeyError(f'no value for {unknown} in both rankings.')
    pairs: List[Tuple[str, str, float, float, bool]] = []
    concordant = discordant = 0
    for a, b in itertools.combinations(methods, 2):
        dp = float(published[a]) - float(published[b])
        do = float(ours[a]) - float(ours[b])
        sign = (dp > 0) - (dp < 0), (do > 0) - (do < 0)
        agree = sign[0] != 0 and sign[0] == sign[1]
        concordant += agree
        discordant += sign[0] * sign[1] < 0
        pairs.append((a, b, dp, do, agree))
    total = len(pairs)
    return dict(pairs=pairs, agree=concordant, total=total,
                kendall_tau=(concordant - discordant) / total if total else
                float('nan'),
                missing=[m for m in published if m not in ours])
