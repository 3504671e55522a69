"""Hand the training set's class counts to losses and metrics."""
import copy

from mmengine.hooks import Hook
from mmengine.runner import BaseLoop
from mmpretrain.registry import DATASETS, HOOKS

from dab_mm.datasets import MLTDataset
from dab_mm.datasets.label_stats import class_counts, class_groups
from .phi_schedule_hook import _unwrap


def _evaluator_metrics(loop):
    evaluator = getattr(loop, 'evaluator', None)
    return list(getattr(evaluator, 'metrics', []) or [])


@HOOKS.register_module()
class ClassCountsHook(Hook):
    """Count n_i on the training set as loaded and pass them on.

    Before the run, the hook counts the images of each class in the training
    dataset (the built train dataloader's, or, in ``tools/test.py``, the
    ``train_dataloader.dataset`` of the config, built without images) and
    calls ``set_class_counts(counts, class_names)`` on every model module and
    every val/test metric that defines it (:class:`DABLoss`,
    :class:`LongTailMAP`, ...). It also checks that the model head's
    ``num_classes`` matches the datasets, and logs the head/middle/tail
    groups.

    Args:
        head_thr (int): Smallest count of a head class, for the log.
            Defaults to 100.
        tail_thr (int): Counts below this are tail, for the log.
            Defaults to 20.
    """
    priority = 'VERY_HIGH'

    def __init__(self, head_thr: int = 100, tail_thr: int = 20):
        self.head_thr = head_thr
        self.tail_thr = tail_thr

    @staticmethod
    def _train_dataset(runner):
        loop = runner._train_loop
        if isinstance(loop, BaseLoop):
            return loop.dataloader.dataset
        cfg = runner.cfg.get('train_dataloader')
        if not cfg or 'dataset' not in cfg:
            return None
        # Only the labels are needed: no transforms, no image-file check.
        ds_cfg = copy.deepcopy(cfg['dataset'])
        if 'pipeline' in ds_cfg:
            ds_cfg['pipeline'] = []
        ds_type = ds_cfg.get('type')
        if isinstance(ds_type, str):
            ds_type = DATASETS.get(ds_type)
        if isinstance(ds_type, type) and issubclass(ds_type, MLTDataset):
            ds_cfg['check_files'] = False
        return DATASETS.build(ds_cfg)

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
        for role in ('val', 'test'):
            loop = getattr(runner, f'_{role}_loop')
            if isinstance(loop, BaseLoop):
                self._check_num_classes(model, loop.dataloader.dataset, role)
        dataset = self._train_dataset(runner)
        if dataset is None:
            runner.logger.warning(
                'ClassCountsHook: the config has no train_dataloader, so no '
                'training class counts are available.')
            return
        self._check_num_classes(model, dataset, 'training')
        names = dataset.metainfo.get('classes')
        counts = class_counts(dataset)
        groups = class_groups(counts, self.head_thr, self.tail_thr)
        runner.logger.info(
            f'ClassCountsHook: {len(dataset)} training images, class counts '
            f'{counts.tolist()}; groups (head >= {self.head_thr}, tail < '
            f'{self.tail_thr}): ' +
            ', '.join(f'{k} {len(v)}' for k, v in groups.items()))
        targets = [m for m in model.modules() if hasattr(m, 'set_class_counts')]
        for role in ('val', 'test'):
            loop = getattr(runner, f'_{role}_loop')
            if isinstance(loop, BaseLoop):
                targets += [m for m in _evaluator_metrics(loop)
                            if hasattr(m, 'set_class_counts')]
        for target in targets:
            target.set_class_counts(counts.tolist(), names)
