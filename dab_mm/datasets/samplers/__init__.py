from .class_aware_sampler import ClassAwareSampler

__all__ = ['ClassAwareSampler']
