# Only the dependency-free helper here: setup_env must be importable before
# mmengine/mmpretrain are, so its warning filters take effect.
from .setup_env import filter_known_warnings

__all__ = ['filter_known_warnings']
