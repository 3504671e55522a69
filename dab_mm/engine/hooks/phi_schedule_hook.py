"""Dynamic balance φ = 1 − (e / E)² for DAB losses (paper Eq. 9-10)."""
from typing import List, Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper
from mmengine.runner import EpochBasedTrainLoop
from mmpretrain.registry import HOOKS

from dab_mm.models.losses import DABLoss


def _unwrap(model):
    while is_model_wrapper(model):
        model = model.module
    return model


def find_dab_losses(model) -> List[DABLoss]:
    """Every :class:`.DABLoss` inside a (possibly wrapped) model."""
    return [m for m in _unwrap(model).modules() if isinstance(m, DABLoss)]


def phi_value(progress: int, total: int) -> float:
    """φ = 1 − (progress / total)², clipped to [0, 1]."""
    if total <= 0:
        return 0.0
    return max(0.0, 1.0 - (min(progress, total) / total)**2)


@HOOKS.register_module()
class PhiScheduleHook(Hook):
    """Set φ = 1 − (e / E)² on every :class:`.DABLoss` of the model.

    ``e`` is the number of epochs completed (0 during the first epoch) and
    ``E`` the maximum; for iteration-based loops, completed and maximum
    iterations. φ is recomputed from the runner's state before each epoch or
    iteration, so a resumed run has the same φ as an uninterrupted one.
    Losses are found by type anywhere in the unwrapped model. φ is written to
    the message hub as ``train/phi`` so every logger shows it.

    Args:
        by_epoch (bool, optional): Update per epoch (True) or per iteration
            (False). Defaults to None: per epoch for epoch-based loops, per
            iteration otherwise.
    """
    priority = 'NORMAL'

    def __init__(self, by_epoch: Optional[bool] = None):
        self.by_epoch = by_epoch
        self._losses: List[DABLoss] = []

    def before_train(self, runner) -> None:
        if self.by_epoch is None:
            self.by_epoch = isinstance(runner.train_loop, EpochBasedTrainLoop)
        self._losses = find_dab_losses(runner.model)
        if not self._losses:
            runner.logger.info('PhiScheduleHook: the model has no DABLoss; '
                               'nothing to schedule.')

    def _current_phi(self, runner) -> float:
        if self.by_epoch:
            return phi_value(runner.epoch, runner.max_epochs)
        return phi_value(runner.iter, runner.max_iters)

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        if not self._losses:
            return
        phi = self._current_phi(runner)
        for loss in self._losses:
            loss.phi = phi
        runner.message_hub.update_scalar('train/phi', phi)
