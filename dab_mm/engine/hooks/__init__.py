from .label_stats_hook import LabelStatsHook
from .phi_schedule_hook import PhiScheduleHook, find_dab_losses, phi_value

__all__ = ['LabelStatsHook', 'PhiScheduleHook', 'find_dab_losses',
           'phi_value']
