"""Test a checkpoint: total / head / middle / tail mAP with LongTailMAP
(mmpretrain's test.py, plus the CPU / gloo set-up of dab_mm.utils.runtime).

The checkpoint must fit the model of the config exactly: a missing,
unexpected or mis-shaped weight stops the run with the keys named (test with
the config that tools/train.py saved in the work dir, or with the training
--cfg-options); --non-strict loads it anyway. The config of a test run is
saved in its log folder (<work_dir>/<timestamp>/), never over the training
config in <work_dir>.
"""
import argparse
import os
import os.path as osp

from preflight import config_or_exit, default_cpu_threads, threads_message
from mmengine.config import DictAction  # light: no torch


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Test (and eval) a model')
    parser.add_argument('config', help='test config file path, or '
                        'dab_mm::<path under configs/> for a packaged one')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument(
        '--work-dir', help='the directory to save the evaluation metrics')
    parser.add_argument(
        '--out',
        help='dump the predictions (pickle, mmengine DumpResults format) '
        'or, with --out-item metrics, the metrics (json/yaml/pickle)')
    parser.add_argument(
        '--out-item',
        choices=['metrics', 'pred'],
        help='what --out holds; defaults to the predictions')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override settings in the config, key=value')
    parser.add_argument(
        '--amp', action='store_true', help='fp16 inference (needs CUDA)')
    parser.add_argument(
        '--non-strict',
        action='store_true',
        help='load a checkpoint that does not fit the config (weights that '
        'do not fit stay as initialised); by default such a checkpoint stops '
        'the test')
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher')
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    if args.out is None and args.out_item is not None:
        parser.error('--out-item needs --out')
    return args


def merge_args(cfg, args):
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir', None) is None:
        cfg.work_dir = osp.join('./work_dirs',
                                osp.splitext(osp.basename(args.config))[0])
    cfg.load_from = args.checkpoint
    if args.amp:
        import torch
        if not torch.cuda.is_available():
            raise SystemExit('--amp needs a CUDA GPU; none is available.')
        cfg.test_cfg.fp16 = True
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    return cfg


def test_runner_class(base, exact: bool = True):
    """``base`` (a Runner class) for a test run: it loads the checkpoint with
    ``load_checkpoint_exactly`` (where mmengine's loader only warns about
    weights that do not fit, and tests a partly initialised network), at
    the same point of ``Runner.test`` (after the ``before_run`` hooks), and
    saves the config in the run's log folder instead of
    ``<work_dir>/<config name>``, where tools/train.py saved the training
    config of the same work dir."""
    from dab_mm.utils.checkpoint import load_checkpoint_exactly

    def dump_config(self):
        name = osp.basename(self.cfg.filename or f'{self.timestamp}.py')
        self.cfg.dump(osp.join(self.log_dir, name))

    def load_checkpoint(self, filename, map_location='cpu', strict=False,
                        revise_keys=[(r'^module.', '')]):
        checkpoint = load_checkpoint_exactly(
            self.model, filename, strict=exact or strict, runner=self,
            config=self.cfg.filename, opt_out='--non-strict',
            revise_keys=revise_keys)
        self._has_loaded = True
        self.logger.info(f'Load checkpoint from {filename}')
        return checkpoint

    return type('Test' + base.__name__, (base, ),
                dict(dump_config=dump_config, load_checkpoint=load_checkpoint))


def main(argv=None):
    args = parse_args(argv)
    # before torch, mmengine's runner and dab_mm are imported (seconds)
    args.config = config_or_exit(args.config)
    threads = default_cpu_threads()
    import dab_mm  # noqa: F401  registers components, filters warnings
    import mmengine
    from mmengine.config import Config
    from mmengine.evaluator import DumpResults
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    from dab_mm.utils.checkpoint import CheckpointMismatchError
    from dab_mm.utils.runtime import (finish_distributed,
                                      prepare_cfg_for_device)
    from dab_mm.utils.setup_env import filter_known_log_messages
    cfg = merge_args(Config.fromfile(args.config), args)
    prepare_cfg_for_device(cfg, args.launcher)
    base = RUNNERS.get(cfg.runner_type) if 'runner_type' in cfg else Runner
    runner = test_runner_class(base, exact=not args.non_strict).from_cfg(cfg)
    filter_known_log_messages(runner.logger)
    if threads:
        runner.logger.info(threads_message(threads))
    if args.out and args.out_item in ('pred', None):
        runner.test_evaluator.metrics.append(
            DumpResults(out_file_path=args.out))
    try:
        metrics = runner.test()
    except CheckpointMismatchError as e:
        raise SystemExit(f'Error: {e}') from None
    if args.out and args.out_item == 'metrics':
        mmengine.dump(metrics, args.out)
    finish_distributed()


if __name__ == '__main__':
    main()
    from dab_mm.utils.runtime import exit_after_distributed_run
    exit_after_distributed_run()
