from .coco_mlt import COCO_CATEGORIES, COCOMLT
from .label_stats import (LabelStats, class_counts, class_groups,
                          label_matrix)
from .mlt_dataset import MLTDataset, packaged_annotation
from .samplers import ClassAwareSampler
from .voc_mlt import VOCMLT

__all__ = [
    'COCOMLT', 'COCO_CATEGORIES', 'ClassAwareSampler', 'LabelStats',
    'MLTDataset', 'VOCMLT',
    'class_counts', 'class_groups', 'label_matrix', 'packaged_annotation'
]
