"""Loading the user's own mmengine checkpoints under torch >= 2.6.

torch >= 2.6 defaults to ``torch.load(..., weights_only=True)``, which refuses
mmengine checkpoints: they hold message-hub state (``HistoryBuffer``), numpy
scalars and other non-tensor objects. Resume, ``load_from`` and
``tools/test.py`` all go through mmengine's local-path loader, so this module
re-registers that loader with ``weights_only=False``. Only local files (the
user's own checkpoints) are affected; URLs keep mmengine's loaders.

:func:`load_checkpoint_exactly` is the loader of ``tools/test.py``,
``tools/infer.py`` and :class:`~dab_mm.apis.MultiLabelInferencer`: a
checkpoint that does not fit its config stops them, naming the keys.
"""
import os
import os.path as osp
import re

import torch
from mmengine.model import is_model_wrapper
from mmengine.runner import CheckpointLoader
from mmengine.runner.checkpoint import (_load_checkpoint,
                                        _load_checkpoint_to_model)


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


MAX_NAMED = 3  # keys named per kind of mismatch in the error message


class CheckpointMismatchError(RuntimeError):
    """A checkpoint whose weights do not fit the model built from a config."""


def _shape(t):
    return list(t.shape) if hasattr(t, 'shape') else None


def state_dict_mismatch(model, state_dict) -> dict:
    """What keeps ``state_dict`` from loading exactly into ``model``.

    Returns:
        dict: ``missing`` (model keys absent from the checkpoint),
        ``unexpected`` (checkpoint keys the model lacks) and ``shape``
        (``(key, checkpoint shape, model shape)``), each in model / file
        order. BatchNorm's ``num_batches_tracked`` counters are not
        required, as in mmengine's loader.
    """
    own = model.state_dict()
    missing = [k for k in own if k not in state_dict
               and not k.endswith('num_batches_tracked')]
    unexpected = [k for k in state_dict if k not in own]
    shape = [(k, _shape(v), _shape(own[k])) for k, v in state_dict.items()
             if k in own and _shape(v) != _shape(own[k])]
    return dict(missing=missing, unexpected=unexpected, shape=shape)


def _named(keys):
    more = len(keys) - MAX_NAMED
    return ', '.join(keys[:MAX_NAMED]) + (f' and {more} more' if more > 0
                                          else '')


def saved_configs(checkpoint_path: str) -> list:
    """Config files beside a checkpoint (the one ``tools/train.py`` saved
    in its work dir)."""
    folder = osp.dirname(osp.abspath(checkpoint_path))
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return []
    return [osp.join(osp.dirname(checkpoint_path), n) for n in names
            if n.endswith('.py')]


def mismatch_message(mismatch: dict, checkpoint: str, config=None,
                     opt_out: str = 'strict=False') -> str:
    """An error message naming the first mismatched keys and the fixes."""
    parts = []
    if mismatch['shape']:
        parts.append(f'{len(mismatch["shape"])} differ in shape (' + '; '.join(
            f'{k}: checkpoint {a}, model {b}'
            for k, a, b in mismatch['shape'][:MAX_NAMED]) +
            (f'; and {len(mismatch["shape"]) - MAX_NAMED} more'
             if len(mismatch['shape']) > MAX_NAMED else '') + ')')
    if mismatch['missing']:
        parts.append(f'{len(mismatch["missing"])} of the model are missing '
                     f'from the checkpoint ({_named(mismatch["missing"])})')
    if mismatch['unexpected']:
        parts.append(f'{len(mismatch["unexpected"])} of the checkpoint are '
                     f'not in the model ({_named(mismatch["unexpected"])})')
    built = f' built from config "{config}"' if config else ''
    saved = saved_configs(checkpoint)
    fix = (f'Use the config saved with the checkpoint ({", ".join(saved)})'
           if saved else 'Use the config the checkpoint was trained with')
    return (f'Checkpoint "{checkpoint}" does not fit the model{built}: of its '
            'weights, ' + '; '.join(parts) + '. It was trained with another '
            f'config or other --cfg-options. {fix}, or pass the same '
            f'--cfg-options as in training. To load it anyway (weights that '
            f'do not fit stay as initialised), use {opt_out}.')


def load_checkpoint_exactly(model, filename: str, strict: bool = True,
                            runner=None, config=None,
                            opt_out: str = 'strict=False',
                            revise_keys=((r'^module\.', ''), )) -> dict:
    """Load a checkpoint into ``model`` and refuse one that does not fit.

    mmengine's and mmpretrain's loaders only warn about missing, unexpected
    or mis-shaped weights and go on with a partly initialised network; a
    test or a prediction from it reports numbers of another model. This
    loader reads the file once, runs the runner's ``after_load_checkpoint``
    hooks (when ``runner`` is given, as ``Runner.load_checkpoint`` does),
    and with ``strict`` raises :class:`CheckpointMismatchError` naming the
    first mismatched keys before anything is loaded.

    Args:
        model (nn.Module): The model, or a model wrapper (DDP).
        filename (str): Checkpoint path or URL.
        strict (bool): Refuse a checkpoint that does not fit. Defaults to
            True.
        runner (Runner, optional): Runner whose hooks see the checkpoint.
        config (str, optional): Config file named in the error.
        opt_out (str): How the caller's user loads non-strictly, named in
            the error (e.g. ``'--non-strict'``).
        revise_keys: ``(pattern, replacement)`` pairs applied to the keys,
            as in mmengine (strips DDP's ``module.``).

    Returns:
        dict: The checkpoint.
    """
    checkpoint = _load_checkpoint(filename, map_location='cpu')
    if runner is not None:
        runner.call_hook('after_load_checkpoint', checkpoint=checkpoint)
    if is_model_wrapper(model):
        model = model.module
    if not isinstance(checkpoint, dict):
        raise CheckpointMismatchError(
            f'"{filename}" holds a {type(checkpoint).__name__}, not a '
            'checkpoint (a dict with a state_dict).')
    state_dict = checkpoint.get('state_dict', checkpoint)
    if strict:
        revised = {}
        for key, value in state_dict.items():
            for pattern, repl in revise_keys:
                key = re.sub(pattern, repl, key)
            revised[key] = value
        mismatch = state_dict_mismatch(model, revised)
        if any(mismatch.values()):
            raise CheckpointMismatchError(
                mismatch_message(mismatch, filename, config, opt_out))
    _load_checkpoint_to_model(model, checkpoint, strict=False,
                              revise_keys=list(revise_keys))
    return checkpoint
