"""The configs and tools installed with dab_mm (``dab_mm/.mim``), and the
``dab_mm::`` prefix that lets a config inherit them from anywhere.

The wheel carries ``configs/``, ``tools/`` and ``model-index.yml`` in
``dab_mm/.mim/`` as mmpretrain's does (an editable install links them to the
repository's), so that, once ``dab_mm`` is imported (every dab_mm tool
imports it before it reads a config)::

    _base_ = ['dab_mm::dab/dab_r101_voc_mlt.py']

works in a config anywhere, as ``mmpretrain::`` does for mmpretrain's.
mmengine only resolves ``::`` for the OpenMMLab packages in its table
``mmengine.config.utils.MODULE2PACKAGE``, and finds a package's files with
``get_installed_path``, which misses editable installs (it looks next to the
distribution's metadata in site-packages). :func:`register_config_package`
adds dab_mm to that table and answers ``get_installed_path('dab_mm')`` with
the imported package's folder; every other package is left to mmengine.
"""
import os.path as osp

PACKAGE = 'dab_mm'
PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
MIM_DIR = osp.join(PACKAGE_DIR, '.mim')


def packaged_path(*parts: str) -> str:
    """Absolute path of a file installed in ``dab_mm/.mim``, e.g.
    ``packaged_path('configs', 'dab', 'dab_r101_voc_mlt.py')``."""
    path = osp.join(MIM_DIR, *parts)
    if not osp.exists(path):
        raise FileNotFoundError(
            f'{path} does not exist. dab_mm/.mim is made when the package is '
            'built or installed (pip install . or pip install -e .); '
            'reinstall dab_mm, or give the path in the repository instead.')
    return path


def config_path(name: str) -> str:
    """Absolute path of a packaged config, e.g.
    ``config_path('dab/dab_r101_voc_mlt.py')``."""
    return packaged_path('configs', name)


def register_config_package() -> None:
    """Make mmengine resolve ``dab_mm::<config>`` to the packaged configs."""
    from mmengine.config import config as mm_config
    from mmengine.config import utils as mm_config_utils
    mm_config_utils.MODULE2PACKAGE.setdefault(PACKAGE, PACKAGE)
    resolve = mm_config.get_installed_path
    if getattr(resolve, 'dab_mm', False):
        return

    def get_installed_path(package: str) -> str:
        if package == PACKAGE:
            return PACKAGE_DIR
        return resolve(package)

    get_installed_path.dab_mm = True
    mm_config.get_installed_path = get_installed_path
