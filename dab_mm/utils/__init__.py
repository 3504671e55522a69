# Only dependency-free helpers here: setup_env must be importable before
# mmengine/mmpretrain are, so its warning filters take effect.
from .packaged import config_path, packaged_path
from .setup_env import filter_known_warnings

__all__ = ['filter_known_warnings', 'config_path', 'packaged_path',
           'register_all_modules']


def register_all_modules(init_default_scope: bool = True) -> None:
    """Register dab_mm's components (in mmpretrain's registries) and, with
    ``init_default_scope``, make ``'mmpretrain'`` the default scope, as
    ``mmpretrain.utils.register_all_modules`` does. The OpenMMLab entry
    point that mmengine calls for a registered scope."""
    import dab_mm  # noqa: F401
    from mmpretrain.utils import register_all_modules as mmpretrain_register
    mmpretrain_register(init_default_scope)
