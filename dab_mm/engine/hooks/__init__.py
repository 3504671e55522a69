from .class_counts_hook import ClassCountsHook
from .phi_schedule_hook import PhiScheduleHook, find_dab_losses, phi_value

__all__ = ['ClassCountsHook', 'PhiScheduleHook', 'find_dab_losses',
           'phi_value']
