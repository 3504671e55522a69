"""Analysis helpers behind tools/analysis_tools (not imported by ``dab_mm``
itself, so that matplotlib is only loaded when needed)."""
from .dataset_stats import (dataset_statistics, describe,
                            plot_dataset_statistics, write_dataset_statistics)

__all__ = [
    'dataset_statistics', 'describe', 'plot_dataset_statistics',
    'write_dataset_statistics'
]
