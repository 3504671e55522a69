"""Runner set-up shared by tools/train.py and tools/test.py.

Makes the same command work on 1 GPU, N GPUs, several nodes, and on CPU
(including 2-process gloo runs through torchrun), where plain mmengine would
call ``torch.cuda.set_device`` and pass ``device_ids`` to DDP.
"""
import logging
import os
import sys

import torch
import torch.distributed as dist

DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


def prepare_cfg_for_device(cfg, launcher: str) -> None:
    """Adapt a config in place to the machine it runs on.

    Without CUDA: a distributed launch gets a gloo process group created
    here (mmengine then skips its own CUDA-only set-up) and the CPU-capable
    DDP wrapper; ``pin_memory`` is switched off.
    """
    if torch.cuda.is_available():
        return
    for name in DATALOADERS:
        if cfg.get(name):
            cfg[name]['pin_memory'] = False
    if launcher == 'none':
        return
    if launcher != 'pytorch':
        raise RuntimeError(
            f'--launcher {launcher} without CUDA is not supported; on CPU use '
            'tools/dist_train.sh (torchrun, --launcher pytorch).')
    cfg.setdefault('env_cfg', {}).setdefault('dist_cfg', {})
    cfg.env_cfg.dist_cfg['backend'] = 'gloo'
    if not dist.is_initialized():
        dist.init_process_group(
            backend='gloo',
            rank=int(os.environ['RANK']),
            world_size=int(os.environ['WORLD_SIZE']))
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(type='CPUCompatibleDDP')


_closed_group = False


def finish_distributed() -> None:
    """Close the process group after a run that completed on every rank.

    The barrier makes every rank reach the end before any rank closes the
    group. Call :func:`exit_after_distributed_run` next when the process is
    a launched worker (``tools/train.py`` / ``tools/test.py`` run as scripts).
    """
    global _closed_group
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()
        _closed_group = True


def exit_after_distributed_run() -> None:
    """End a launched worker that closed its process group, skipping the
    interpreter's finalisation.

    A gloo process group is not joined by ``destroy_process_group`` (its
    ``shutdown`` is a no-op, and DDP keeps a reference), so its worker threads
    outlive ``main()``. A worker thread releases a finished collective after
    the caller's ``wait()`` returned; when that release frees tensors created
    in Python it needs the GIL, and if the interpreter is finalising by then
    the thread is torn down inside a ``noexcept`` destructor: the rank aborts
    (SIGABRT, ``terminate called without an active exception``) after a
    complete run, and torchrun reports the run as failed. Seen in about 1 of
    30 two-process CPU runs on 2 loaded cores, with or without
    ``destroy_process_group`` (core dump: ``~AsyncBarrierWork`` ->
    ``~AsyncBroadcastWork`` -> ``decref_pyobject`` -> ``take_gil``).
    Flushing the logs and leaving with ``os._exit(0)`` removes the race; the
    run's files are all written and closed by then (checkpoints, logs, the
    visualizer is closed by ``LoggerHook.after_run``).
    """
    if not _closed_group:
        return
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)
