from .label_stats_hook import LabelStatsHook
from .phi_schedule_hook import PhiScheduleHook, find_dab_losses, phi_value
from .seeded_augmentation_hook import (SeededAugmentationHook,
                                       SeededPipeline, sample_seed)

__all__ = ['LabelStatsHook', 'PhiScheduleHook', 'SeededAugmentationHook',
           'SeededPipeline', 'find_dab_losses', 'phi_value', 'sample_seed']
