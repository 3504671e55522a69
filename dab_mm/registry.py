"""dab_mm's registry scope: one child of each mmpretrain registry.

Every dab_mm component is registered into mmpretrain's own registries
(``import dab_mm``), and configs run with ``default_scope='mmpretrain'``.
This module exists for configs that inherit a packaged dab_mm config by
``_base_ = 'dab_mm::dab/dab_r101_voc_mlt.py'``: mmengine tags what such a
base defines with ``_scope_='dab_mm'`` and looks up ``dab_mm.registry`` when
building it. Each registry here is empty, so every name resolves in its
parent: mmpretrain's registry, then mmengine's root.
"""
from mmengine.registry import Registry
from mmpretrain import registry as _mmpretrain

SCOPE = 'dab_mm'

_names = []
for _name in dir(_mmpretrain):
    _parent = getattr(_mmpretrain, _name)
    if isinstance(_parent, Registry) and _name.isupper():
        # the parent's lazy imports, so a look-up from here registers
        # mmpretrain's modules as one from mmpretrain's scope does
        globals()[_name] = Registry(_parent.name, parent=_parent, scope=SCOPE,
                                    locations=list(_parent._locations))
        _names.append(_name)

__all__ = sorted(_names)
