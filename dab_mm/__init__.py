"""dab-mm: long-tailed multi-label classification for OpenMMLab.

``import dab_mm`` (or ``custom_imports=dict(imports=['dab_mm'])`` in a config)
registers every component into mmpretrain's registries (losses, datasets,
samplers, metrics, hooks) and mmengine's root model-wrapper registry, and
lets configs inherit the packaged ones as ``dab_mm::<method>/<config>.py``
(:mod:`dab_mm.utils.packaged`).
"""
from .utils.setup_env import filter_known_warnings

# Must run before mmpretrain is imported for the first time, so that
# mmcv-lite's import-time notice is not printed (see utils/setup_env.py).
filter_known_warnings()

from .datasets import *  # noqa: F401,F403,E402
from .engine import *  # noqa: F401,F403,E402
from .evaluation import *  # noqa: F401,F403,E402
from .models import *  # noqa: F401,F403,E402
from .utils.checkpoint import register_local_checkpoint_loader  # noqa: E402
from .utils.packaged import config_path, register_config_package  # noqa: E402
from .version import __version__  # noqa: E402

register_local_checkpoint_loader()
register_config_package()

__all__ = ['__version__', 'config_path']
