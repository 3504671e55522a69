"""Hand the training set's label statistics to losses, heads and metrics."""
from typing import Optional

from mmengine.hooks import Hook
from mmengine.runner import BaseLoop
from mmpretrain.registry import HOOKS

from dab_mm.datasets.label_stats import (LabelStats, build_label_dataset,
                                         class_groups)
from .phi_schedule_hook import _unwrap


def _evaluator_metrics(loop):
    evaluator = getattr(loop, 'evaluator', None)
    return list(getattr(evaluator, 'metrics', []) or [])


@HOOKS.register_module()
class LabelStatsHook(Hook):
    """Count labels on the training set as loaded and pass them on.

    Before the run, the hook computes :class:`.LabelStats` (class counts n_i,
    co-occurrence counts, number of images, class names) of the training
    dataset — the built train dataloader's, or, in ``tools/test.py``, the
    config's ``train_dataloader.dataset`` built without transforms or image
    checks — and calls ``set_label_stats(stats)`` on every model module and
    every val/test metric that defines it (:class:`.DABLoss`, :class:`.DBLoss`,
    :class:`.MLGCNHead`, :class:`.LongTailMAP`, ...). Users therefore never
    maintain a class-frequency file. It also checks that the model head's
    ``num_classes`` matches every dataset, and logs counts and groups.

    Args:
        head_thr (int, optional): Smallest count of a head class, for the
            log. Defaults to the first val/test metric's ``head_thr``
            (:class:`.LongTailMAP`), else 100.
        tail_thr (int, optional): Counts below this are tail, for the log.
            Defaults to the metric's ``tail_thr``, else 20.
    """
    priority = 'VERY_HIGH'

    def __init__(self, head_thr: Optional[int] = None,
                 tail_thr: Optional[int] = None):
        self.head_thr = head_thr
        self.tail_thr = tail_thr

    def _thresholds(self, metrics):
        """The log's thresholds: own, else the metric's, else 100 / 20."""
        found = [m for m in metrics if hasattr(m, 'head_thr') and
                 hasattr(m, 'tail_thr')]
        head = self.head_thr if self.head_thr is not None else (
            found[0].head_thr if found else 100)
        tail = self.tail_thr if self.tail_thr is not None else (
            found[0].tail_thr if found else 20)
        return head, tail

    @staticmethod
    def _train_dataset(runner):
        loop = runner._train_loop
        if isinstance(loop, BaseLoop):
            return loop.dataloader.dataset
        cfg = runner.cfg.get('train_dataloader')
        if not cfg or 'dataset' not in cfg:
            return None
        return build_label_dataset(cfg['dataset'])

    @staticmethod
    def _check_num_classes(model, dataset, role: str) -> None:
        classes = dataset.metainfo.get('classes')
        if classes is None:
            return
        for name, module in model.named_modules():
            num = getattr(module, 'num_classes', None)
            if isinstance(num, int) and name.endswith('head') and \
                    num != len(classes):
                raise ValueError(
                    f'The model\'s {name}.num_classes is {num} but the '
                    f'{role} dataset ({type(dataset).__name__}) has '
                    f'{len(classes)} classes. Set model.{name}.num_classes='
                    f'{len(classes)} in the config.')

    def before_run(self, runner) -> None:
        model = _unwrap(runner.model)
        loops = [getattr(runner, f'_{role}_loop') for role in ('val', 'test')]
        loops = [(role, loop) for role, loop in zip(('val', 'test'), loops)
                 if isinstance(loop, BaseLoop)]
        for role, loop in loops:
            self._check_num_classes(model, loop.dataloader.dataset, role)
        dataset = self._train_dataset(runner)
        if dataset is None:
            runner.logger.warning(
                'LabelStatsHook: the config has no train_dataloader, so no '
                'training label statistics are available.')
            return
        self._check_num_classes(model, dataset, 'training')
        stats = LabelStats.from_dataset(dataset)
        metrics = [m for _, loop in loops for m in _evaluator_metrics(loop)]
        head_thr, tail_thr = self._thresholds(metrics)
        groups = class_groups(stats.counts, head_thr, tail_thr)
        runner.logger.info(
            f'LabelStatsHook: {stats.num_images} training images, class '
            f'counts {stats.counts.tolist()}; groups (head >= '
            f'{head_thr}, tail < {tail_thr}): ' +
            ', '.join(f'{k} {len(v)}' for k, v in groups.items()))
        targets = [m for m in model.modules() if hasattr(m, 'set_label_stats')]
        targets += [m for m in metrics if hasattr(m, 'set_label_stats')]
        for target in targets:
            target.set_label_stats(stats)
