import pytest
from mmengine.registry import DefaultScope

import dab_mm  # noqa: F401  registers the components


@pytest.fixture(autouse=True)
def mmpretrain_scope():
    """Build from mmpretrain's registries whatever scope an earlier Runner
    left current (as a config's default_scope='mmpretrain' would)."""
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        yield
