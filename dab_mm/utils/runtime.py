"""Runner set-up shared by tools/train.py and tools/test.py.

Makes the same command work on 1 GPU, N GPUs, several nodes, and on CPU
(including 2-process gloo runs through torchrun), where plain mmengine would
call ``torch.cuda.set_device`` and pass ``device_ids`` to DDP.
"""
import os

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
