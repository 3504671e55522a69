"""Class-aware re-sampling for multi-label data."""
import math
import warnings
from typing import Iterator, Optional, Union

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from mmpretrain.registry import DATA_SAMPLERS
from torch.utils.data import Sampler

from ..label_stats import LabelStats, label_csr


@DATA_SAMPLERS.register_module()
class ClassAwareSampler(Sampler):
    """Pick a class uniformly, then an image of that class.

    Class-aware sampling (Shen et al., ECCV 2016), as used for multi-label
    long-tailed data by the Distribution-Balanced Loss (Wu et al., ECCV 2020):
    classes are drawn by cycling through a shuffled class order (reshuffled
    after every pass), and each drawn class yields its next image from a
    shuffled cycle over the images that contain it. Every class is therefore
    drawn equally often; an image with several labels can be drawn through
    each of them.

    The stream of an epoch depends only on ``seed`` and the epoch (set by the
    runner through :meth:`set_epoch`), never on global RNG state, and is the
    same on every rank; rank r takes positions r, r + W, r + 2W, ... so ranks
    are disjoint and together cover the stream (padded by wrapping to a
    multiple of the world size W). Classes without images are never drawn.

    Args:
        dataset: A multi-label dataset (``get_cat_ids`` per index).
        num_samples (int | str, optional): Samples per epoch over ALL ranks;
            ``'dataset'`` for as many as the dataset has images (the epoch
            length of uniform sampling). Defaults to None:
            ``max_i n_i * C // 4`` as in the DB reference.
        seed (int, optional): Random seed. Defaults to None (a seed shared
            by all ranks, from :func:`mmengine.dist.sync_random_seed`).
        round_up (bool): Pad the stream to a multiple of the world size.
            Defaults to True.
    """

    def __init__(self,
                 dataset,
                 num_samples: Union[int, str, None] = None,
                 seed: Optional[int] = None,
                 round_up: bool = True):
        self.dataset = dataset
        self.rank, self.world_size = get_dist_info()
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.epoch = 0
        self.round_up = round_up

        stats = LabelStats(label_csr(dataset))
        self.class_images = stats.class_images()
        self.active_classes = np.array(
            [c for c, imgs in enumerate(self.class_images) if len(imgs)],
            dtype=np.int64)
        if len(self.active_classes) == 0:
            raise ValueError('ClassAwareSampler: the dataset has no labelled '
                             'image, so no class can be drawn.')
        empty = stats.num_classes - len(self.active_classes)
        if empty:
            warnings.warn(f'ClassAwareSampler: {empty} class(es) have no '
                          'image and are never drawn.')
        if num_samples is None:
            num_samples = int(stats.counts.max()) * stats.num_classes // 4
        elif num_samples == 'dataset':
            num_samples = len(dataset)
        if not isinstance(num_samples, int) or num_samples <= 0:
            raise ValueError(f'ClassAwareSampler: num_samples must be > 0, '
                             f'got {num_samples}.')
        self.total_samples = int(num_samples)
        if round_up:
            self.num_samples = math.ceil(self.total_samples / self.world_size)
        else:
            self.num_samples = len(
                range(self.rank, self.total_samples, self.world_size))

    def _stream(self) -> np.ndarray:
        """The epoch's full sample stream (all ranks).

        O(samples log samples) time and O(samples) memory: positions are
        grouped by class with one stable sort, then each class fills its
        positions from shuffled cycles over its images (class by class in
        ascending order, the order the random draws are made in).
        """
        rng = np.random.default_rng([self.seed, self.epoch])
        total = self.total_samples
        classes = self.active_classes
        passes = math.ceil(total / len(classes))
        class_seq = np.concatenate(
            [rng.permutation(classes) for _ in range(passes)])[:total]
        order = np.argsort(class_seq, kind='stable')
        drawn = np.bincount(class_seq, minlength=len(self.class_images))
        ends = np.cumsum(drawn)
        stream = np.empty(total, dtype=np.int64)
        for c in classes:
            k = int(drawn[c])
            if not k:
                continue
            where = order[ends[c] - k:ends[c]]
            imgs = self.class_images[c]
            if len(imgs) == 1:  # a permutation of one draws nothing
                stream[where] = imgs[0]
                continue
            cycles = math.ceil(k / len(imgs))
            stream[where] = np.concatenate(
                [rng.permutation(imgs) for _ in range(cycles)])[:k]
        return stream

    def __iter__(self) -> Iterator[int]:
        stream = self._stream()
        if self.round_up:
            padded = self.num_samples * self.world_size
            stream = np.resize(stream, padded)  # wraps around
        return iter(stream[self.rank::self.world_size].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Set the epoch; the stream depends on (seed, epoch)."""
        self.epoch = epoch
