from .hooks import LabelStatsHook, PhiScheduleHook
from .model_wrappers import CPUCompatibleDDP

__all__ = ['CPUCompatibleDDP', 'LabelStatsHook', 'PhiScheduleHook']
