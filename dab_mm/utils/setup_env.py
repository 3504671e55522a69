"""Environment set-up shared by the package, its tools and its tests."""
import warnings

# Third-party notices that say nothing about a classification run. Each is
# matched by its exact message start and category, so nothing else is hidden.
KNOWN_HARMLESS_WARNINGS = (
    # mmcv-lite has no compiled ops; classification needs none of them.
    (r'Fail to import ``MultiScaleDeformableAttention``', UserWarning),
    # mmengine 0.10.7 imports pkg_resources; setuptools < 82 still has it.
    (r'pkg_resources is deprecated as an API', UserWarning),
    # torch >= 2.x DDP, emitted on every wrap with broadcast_buffers=False.
    (r'`broadcast_buffers` is deprecated', UserWarning),
    (r'The argument `broadcast_buffers` is deprecated', UserWarning),
)


def filter_known_warnings() -> None:
    """Silence the known-harmless third-party warnings, and only those."""
    for message, category in KNOWN_HARMLESS_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category)
