"""Loading the user's own mmengine checkpoints under torch >= 2.6.

torch >= 2.6 defaults to ``torch.load(..., weights_only=True)``, which refuses
mmengine checkpoints: they hold message-hub state (``HistoryBuffer``), numpy
scalars and other non-tensor objects. Resume, ``load_from`` and
``tools/test.py`` all go through mmengine's local-path loader, so this module
re-registers that loader with ``weights_only=False``. Only local files (the
user's own checkpoints) are affected; URLs keep mmengine's loaders.
"""
import os.path as osp

import torch
from mmengine.runner import CheckpointLoader


def load_from_local(filename: str, map_location=None):
    """Load a local checkpoint file written by mmengine.

    Args:
        filename (str): Path of the checkpoint file.
        map_location: Same as :func:`torch.load`.

    Returns:
        dict: The loaded checkpoint.
    """
    filename = osp.expanduser(filename)
    if not osp.isfile(filename):
        raise FileNotFoundError(
            f'Checkpoint file "{filename}" does not exist. Check the path '
            'given to --resume / load_from / tools/test.py.')
    # The user's own checkpoint: trusted, and it holds non-tensor objects.
    return torch.load(filename, map_location=map_location, weights_only=False)


def register_local_checkpoint_loader() -> None:
    """Make mmengine load local checkpoints with ``weights_only=False``."""
    CheckpointLoader.register_scheme(
        prefixes='', loader=load_from_local, force=True)
