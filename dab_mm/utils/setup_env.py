"""Environment set-up shared by the package, its tools and its tests."""
import logging
import warnings

# Third-party notices that say nothing about a classification run. Each is
# matched by its exact message start and category, so nothing else is hidden.
KNOWN_HARMLESS_WARNINGS = (
    # mmcv-lite has no compiled ops; classification needs none of them.
    (r'Fail to import ``MultiScaleDeformableAttention``', UserWarning),
    # mmengine 0.10.7 imports pkg_resources; setuptools < 82 still has it.
    (r'pkg_resources is deprecated as an API', UserWarning),
    # torch 2.14 DDP, on every wrap: mmengine passes broadcast_buffers=False.
    (r'`broadcast_buffers` is deprecated', FutureWarning),
)


def filter_known_warnings() -> None:
    """Silence the known-harmless third-party warnings, and only those."""
    for message, category in KNOWN_HARMLESS_WARNINGS:
        warnings.filterwarnings('ignore', message=message, category=category)


# mmengine log records (not Python warnings) that are pure noise for a user:
# its CheckpointHook still uses its own deprecated FileClient.
KNOWN_HARMLESS_LOG_MESSAGES = (
    '"FileClient" will be deprecated in future',
    '"HardDiskBackend" is the alias of "LocalBackend"',
)


class _KnownMessageFilter(logging.Filter):

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.getMessage()
        return not any(msg.startswith(m) for m in KNOWN_HARMLESS_LOG_MESSAGES)


def filter_known_log_messages(logger: logging.Logger) -> None:
    """Drop the known-harmless mmengine messages from ``logger`` (a runner's
    MMLogger), keeping every other record."""
    if not any(isinstance(f, _KnownMessageFilter) for f in logger.filters):
        logger.addFilter(_KnownMessageFilter())
