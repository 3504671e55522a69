"""Augmentation randomness as a function of (seed, epoch, sample)."""
import multiprocessing
import random
from typing import Optional

import numpy as np
import torch
from mmengine.dist import get_dist_info
from mmengine.hooks import Hook
from mmpretrain.registry import HOOKS


def sample_seed(seed: int, epoch: int, index: int, stream: int = 0) -> int:
    """A 32-bit seed that depends only on (seed, epoch, index); ``stream``
    separates samples (0) from the main processes of ranks (1)."""
    return int(np.random.SeedSequence(
        [int(seed) % 2**63, int(epoch), int(stream), int(index)]
    ).generate_state(1)[0])


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's (CPU) global generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


class SeededPipeline:
    """A dataset pipeline that seeds the global random generators from
    (seed, epoch, ``sample_idx``) before every sample.

    The epoch lives in shared memory created before the dataloader's
    workers start, so persistent workers (forked or spawned) read the value
    the main process sets at each epoch: a sample's random crops and flips
    are the same whatever the number of workers, which worker processes it,
    and whether the run was restarted.
    """

    def __init__(self, pipeline, seed: int):
        self.pipeline = pipeline
        self.seed = int(seed)
        self.epoch = multiprocessing.get_context().RawValue('q', 0)

    def __call__(self, results: dict):
        if 'sample_idx' not in results:
            raise KeyError('SeededPipeline: the data info has no '
                           '"sample_idx" (mmengine BaseDataset sets it); '
                           'this dataset cannot be seeded per sample.')
        seed_everything(
            sample_seed(self.seed, self.epoch.value, results['sample_idx']))
        return self.pipeline(results)

    def __getattr__(self, name):
        # transforms, __repr__ helpers of mmcv's Compose, ...
        if name == 'pipeline':
            raise AttributeError(name)
        return getattr(self.pipeline, name)


def _pipeline_datasets(dataset):
    """Every dataset with a ``pipeline`` inside (possibly wrapped)
    ``dataset``."""
    found, stack = [], [dataset]
    while stack:
        ds = stack.pop()
        if hasattr(ds, 'pipeline'):
            found.append(ds)
        if hasattr(ds, 'dataset'):
            stack.append(ds.dataset)
        stack.extend(getattr(ds, 'datasets', []))
    return found


@HOOKS.register_module()
class SeededAugmentationHook(Hook):
    """Make training randomness a function of (seed, epoch, sample).

    mmengine seeds each dataloader worker once, from (seed, rank, worker
    id), so random augmentations depend on the number of workers and, after
    a restart, replay the first epoch's draws. This hook instead seeds
    Python's, numpy's and torch's generators

    - before every training sample, from (seed, epoch, sample index), in
      whichever process loads it (:class:`.SeededPipeline`);
    - in the main process before every epoch, from (seed, epoch, rank)
      (dropout, stochastic depth, ...).

    With ``randomness.deterministic=True`` a run killed at any point and
    resumed with ``--resume`` then ends with the same weights on a CPU as
    the uninterrupted run, and ``num_workers`` does not change the result.
    The seed is the runner's (``randomness.seed``); without one, 0.

    Args:
        seed (int, optional): Overrides the runner's seed.
    """

    priority = 'VERY_HIGH'

    def __init__(self, seed: Optional[int] = None):
        self.seed = seed
        self._pipelines = []

    def _seed(self, runner) -> int:
        if self.seed is not None:
            return int(self.seed)
        seed = getattr(runner, 'seed', None)
        return 0 if seed is None else int(seed)

    def before_train(self, runner) -> None:
        loader = runner.train_dataloader
        datasets = _pipeline_datasets(loader.dataset)
        if not datasets:
            raise TypeError(
                'SeededAugmentationHook: the training dataset '
                f'({type(loader.dataset).__name__}) has no pipeline to seed.')
        if getattr(loader, '_iterator', None) is not None:
            raise RuntimeError(
                'SeededAugmentationHook: the training dataloader was already '
                'iterated, so its workers hold the unseeded pipeline.')
        for ds in datasets:
            if not isinstance(ds.pipeline, SeededPipeline):
                ds.pipeline = SeededPipeline(ds.pipeline, self._seed(runner))
            self._pipelines.append(ds.pipeline)

    def before_train_epoch(self, runner) -> None:
        for p in self._pipelines:
            p.epoch.value = runner.epoch
        rank, _ = get_dist_info()
        seed_everything(
            sample_seed(self._seed(runner), runner.epoch, rank, stream=1))
