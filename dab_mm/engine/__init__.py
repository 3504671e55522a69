from .hooks import ClassCountsHook, PhiScheduleHook
from .model_wrappers import CPUCompatibleDDP

__all__ = ['CPUCompatibleDDP', 'ClassCountsHook', 'PhiScheduleHook']
