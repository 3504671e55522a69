"""Train a model with dab_mm components (mmpretrain's train.py, plus the CPU /
gloo set-up of dab_mm.utils.runtime)."""
import argparse
import os
import os.path as osp

from preflight import config_or_exit, default_cpu_threads, threads_message
from mmengine.config import DictAction  # light: no torch


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train a model')
    parser.add_argument('config', help='train config file path, or '
                        'dab_mm::<path under configs/> for a packaged one')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume',
        nargs='?',
        type=str,
        const='auto',
        help='resume from this checkpoint, or, without a path, from the '
        'latest checkpoint in the work directory')
    parser.add_argument(
        '--amp',
        action='store_true',
        help='enable automatic-mixed-precision training (needs CUDA)')
    parser.add_argument(
        '--channels-last',
        action='store_true',
        help='train in the channels_last memory format (faster convolutions '
        'with AMP on recent GPUs)')
    parser.add_argument(
        '--no-validate',
        action='store_true',
        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value (e.g. '
        'train_dataloader.batch_size=4 model.backbone.depth=18)')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def merge_args(cfg, args):
    """Merge CLI arguments into the config."""
    if args.no_validate:
        cfg.val_cfg = None
        cfg.val_dataloader = None
        cfg.val_evaluator = None
    cfg.launcher = args.launcher
    # work_dir priority: CLI > config file > ./work_dirs/<config name>
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    if args.amp:
        import torch
        if not torch.cuda.is_available():
            raise SystemExit('--amp needs a CUDA GPU; none is available.')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if args.channels_last:
        wrapper = cfg.get('model_wrapper_cfg') or dict(
            type='CPUCompatibleDDP')
        wrapper['channels_last'] = True
        cfg.model_wrapper_cfg = wrapper  # used by distributed runs
    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        cfg.resume = True
        cfg.load_from = args.resume
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    # before torch, mmengine's runner and dab_mm are imported (seconds)
    args.config = config_or_exit(args.config)
    threads = default_cpu_threads()
    import dab_mm  # noqa: F401  registers components, filters warnings
    import torch
    from mmengine.config import Config
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    from dab_mm.utils.runtime import (finish_distributed,
                                      prepare_cfg_for_device)
    from dab_mm.utils.setup_env import filter_known_log_messages
    cfg = merge_args(Config.fromfile(args.config), args)
    prepare_cfg_for_device(cfg, args.launcher)
    if 'runner_type' not in cfg:
        runner = Runner.from_cfg(cfg)
    else:
        runner = RUNNERS.build(cfg)
    filter_known_log_messages(runner.logger)
    if threads:
        runner.logger.info(threads_message(threads))
    if args.channels_last and not runner.distributed:
        runner.model.to(memory_format=torch.channels_last)
    runner.train()
    finish_distributed()


if __name__ == '__main__':
    main()
    from dab_mm.utils.runtime import exit_after_distributed_run
    exit_after_distributed_run()
