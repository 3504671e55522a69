"""Multi-label dataset with validated annotations, the base of VOC-/COCO-MLT."""
import logging
import os
import os.path as osp
import stat
from typing import List, Optional, Sequence, Union

import mmengine
from mmengine.logging import print_log
from mmpretrain.datasets import MultiLabelDataset
from mmpretrain.registry import DATASETS

from ..utils.io import load_structured
from .image_check import CHECK_COMMAND, image_problem

# Shown at most this many missing images in an error message.
_MAX_LISTED = 5


def _listed(paths: List[str]) -> str:
    more = len(paths) - _MAX_LISTED
    return '\n  '.join(paths[:_MAX_LISTED]) + (
        f'\n  ... and {more} more' if more > 0 else '')


def _parse_label(token, class_to_idx: dict, num_classes: int, where: str):
    """One label given as an index (int or digit string) or a class name."""
    if isinstance(token, bool):
        raise ValueError(f'{where}: label {token!r} is a bool, not a class '
                         'index or name.')
    if isinstance(token, str):
        token_s = token.strip()
        if token_s.lstrip('-').isdigit():
            token = int(token_s)
        elif token_s in class_to_idx:
            return class_to_idx[token_s]
        elif token_s.replace('_', ' ') in class_to_idx:
            return class_to_idx[token_s.replace('_', ' ')]
        else:
            raise ValueError(
                f'{where}: unknown class name {token!r}. Known classes: '
                f'{", ".join(class_to_idx)}. Fix the annotation file or the '
                'dataset\'s `classes`.')
    if not isinstance(token, int) or not 0 <= token < num_classes:
        raise ValueError(
            f'{where}: label {token!r} is out of range: class indices are '
            f'0-based and must be < {num_classes} (the number of classes). '
            'Fix the annotation file or the dataset\'s `classes`.')
    return token


@DATASETS.register_module()
class MLTDataset(MultiLabelDataset):
    """A multi-label dataset whose annotations are checked when loaded.

    Accepts the OpenMMLab 2.0 annotation format of mmpretrain's
    :class:`MultiLabelDataset` (a JSON/YAML/pickle file with ``metainfo`` and
    ``data_list``; ``gt_label`` a list of class indices or class names) and a
    plain-text list with one image per line::

        path/to/img.jpg 3 7 12
        path/to/other.jpg person dog

    Labels are 0-based indices or class names (in text files ``_`` may stand
    for a space in a name). Empty lines and lines starting with ``#`` are
    skipped. An image may have no positive label.

    Every label is checked against the classes and, unless
    ``check_files=False``, every local image file must exist; errors name the
    file and line (or ``data_list`` index) and say how to fix them. An image
    that cannot be read when the pipeline loads it (missing, empty,
    truncated, not an image) stops the run with an error naming the image,
    the annotation entry and the checker that lists every such image
    (``tools/analysis_tools/check_dataset.py``); ``skip_unreadable=True``
    replaces it by the next readable sample instead and logs its path once.

    Args:
        ann_file (str): Annotation file (``.json``/``.yaml``/``.pkl`` in
            OpenMMLab 2.0 format, or ``.txt``).
        check_files (bool): Check that every local image exists when loading.
            Defaults to True.
        skip_unreadable (bool): Replace an unreadable image by the next
            readable sample (``idx + 1``, ``idx + 2``, ...: deterministic)
            instead of stopping. Defaults to False.
        **kwargs: Other arguments of :class:`MultiLabelDataset` (``data_root``,
            ``data_prefix``, ``classes``, ``metainfo``, ``pipeline``, ...).
    """

    def __init__(self, ann_file: str, check_files: bool = True,
                 skip_unreadable: bool = False, **kwargs):
        self.check_files = check_files
        self.skip_unreadable = skip_unreadable
        self._skipped = set()
        super().__init__(ann_file=ann_file, **kwargs)

    def annotation_entry(self, idx: int) -> str:
        """Where sample ``idx`` is listed: annotation file and line or
        ``data_list`` index."""
        return self.get_data_info(idx).get(
            'ann_entry', f'{self.ann_file}, sample {idx}')

    def prepare_data(self, idx):
        """The pipeline's output for sample ``idx``; an image that cannot be
        read is named with its annotation entry (or, with
        ``skip_unreadable``, replaced by the next readable sample)."""
        for attempt in range(len(self)):
            i = (idx + attempt) % len(self)
            try:
                return super().prepare_data(i)
            except Exception as e:  # noqa: BLE001 - re-raised unless it is
                path = self.get_data_info(i).get('img_path', '')  # the image
                problem = image_problem(path) if path else None
                if problem is None:
                    raise
                where = self.annotation_entry(i)
                if not self.skip_unreadable:
                    raise RuntimeError(
                        f'{type(self).__name__}: cannot read image "{path}" '
                        f'({problem}), listed in {where}. List every '
                        f'unreadable image with `{CHECK_COMMAND}`; fix or '
                        'remove them, or set skip_unreadable=True in the '
                        'dataset config to train on the others.') from e
                if path not in self._skipped:
                    self._skipped.add(path)
                    print_log(f'{type(self).__name__}: skipping unreadable '
                              f'image "{path}" ({problem}), listed in '
                              f'{where}.', logger='current',
                              level=logging.WARNING)
        raise RuntimeError(f'{type(self).__name__}: no image of '
                           f'{self.ann_file} can be read.')

    def _classes_or_raise(self) -> Sequence[str]:
        classes = self._metainfo.get('classes')
        if not classes:
            raise ValueError(
                f'{self.ann_file}: no class list. Give `classes=[...]` (or '
                'a file with one name per line) in the dataset config, or use '
                'an OpenMMLab 2.0 annotation file with metainfo.classes.')
        return classes

    def _load_raw_records(self) -> List[tuple]:
        """(where, img_path, labels) per sample, in file order."""
        if not osp.isfile(self.ann_file) and '://' not in self.ann_file:
            raise FileNotFoundError(
                f'Annotation file "{self.ann_file}" does not exist. Check '
                '`ann_file` and `data_root` in the dataset config (a relative '
                'ann_file is joined to data_root), or build it: FD-MLT with '
                'tools/dataset_converters/build_fd_mlt.py data/fd_mlt; '
                'VOC-/COCO-MLT files from raw VOC/COCO annotations with '
                'build_mlt_annotations.py; a split of your own dataset with '
                'build_lt_split.py (docs/user_guides/own_dataset.md).')
        if self.ann_file.endswith('.txt'):
            records = []
            for lineno, line in enumerate(
                    mmengine.list_from_file(self.ann_file), start=1):
                line = line.strip()
                if not line or line.startswith('#'):
                    continue
                img, *labels = line.split()
                records.append((f'{self.ann_file}, line {lineno}', img, labels))
            return records

        annotations = load_structured(self.ann_file)
        if not isinstance(annotations, dict) or 'data_list' not in annotations:
            raise ValueError(
                f'{self.ann_file}: expected an OpenMMLab 2.0 annotation file, '
                'a dict with "metainfo" and "data_list" (or a .txt list with '
                '"<image> <label> ..." per line).')
        file_meta = annotations.get('metainfo', {}) or {}
        file_classes = file_meta.get('classes')
        own_classes = self._metainfo.get('classes')
        if file_classes is not None and own_classes is not None and \
                tuple(file_classes) != tuple(own_classes):
            raise ValueError(
                f'{self.ann_file}: its metainfo.classes '
                f'({len(file_classes)} classes, starting {list(file_classes)[:3]}) '
                f'differ from the dataset\'s ({len(own_classes)} classes, '
                f'starting {list(own_classes)[:3]}). Rebuild the annotation '
                'file for this dataset or use the matching dataset type.')
        for k, v in file_meta.items():
            self._metainfo.setdefault(k, v)
        records = []
        for i, raw in enumerate(annotations['data_list']):
            where = f'{self.ann_file}, data_list[{i}]'
            if not isinstance(raw, dict) or 'img_path' not in raw or \
                    'gt_label' not in raw:
                raise ValueError(f'{where}: each entry needs "img_path" and '
                                 f'"gt_label"; got {raw!r}.')
            labels = raw['gt_label']
            if not isinstance(labels, (list, tuple)):
                labels = [labels]
            records.append((where, raw['img_path'], list(labels)))
        return records

    def load_data_list(self) -> List[dict]:
        records = self._load_raw_records()
        classes = self._classes_or_raise()
        class_to_idx = {name: i for i, name in enumerate(classes)}
        data_list = []
        for where, img_path, labels in records:
            gt = sorted({
                _parse_label(t, class_to_idx, len(classes), where)
                for t in labels
            })
            data_list.append(
                dict(img_path=mmengine.join_path(self.img_prefix, img_path),
                     gt_label=gt, ann_entry=where))
        if self.check_files:
            self._check_images(data_list)
        return data_list

    def _check_images(self, data_list: List[dict]) -> None:
        """One ``stat`` per local image: missing ones (or not regular files)
        stop the build, and so do empty (0-byte) ones unless
        ``skip_unreadable`` (then they are logged, and skipped when drawn)."""
        missing, empty = [], []
        for d in data_list:
            path = d['img_path']
            if '://' in path:
                continue
            try:
                st = os.stat(path)
            except OSError:
                missing.append(path)
                continue
            if not stat.S_ISREG(st.st_mode):
                missing.append(path)
            elif st.st_size == 0:
                empty.append(path)
        where = (f'Images are looked up under data_root/data_prefix '
                 f'("{self.img_prefix}").')
        if missing:
            raise FileNotFoundError(
                f'{len(missing)} of {len(data_list)} images listed in '
                f'{self.ann_file} are missing, e.g.:\n  {_listed(missing)}\n'
                f'{where} Put the images there (see '
                'docs/user_guides/data_preparation.md), fix data_root, or '
                'set check_files=False to '
                'skip this check.')
        if empty and not self.skip_unreadable:
            raise ValueError(
                f'{len(empty)} of {len(data_list)} images listed in '
                f'{self.ann_file} are empty files (0 bytes), e.g.:\n  '
                f'{_listed(empty)}\n{where} Replace or remove them (list '
                f'every unreadable image with `{CHECK_COMMAND}`), or set '
                'skip_unreadable=True in the dataset config to train on the '
                'others.')
        if empty:
            print_log(f'{type(self).__name__}: {len(empty)} of '
                      f'{len(data_list)} images listed in {self.ann_file} are '
                      f'empty files (0 bytes) and will be skipped, e.g.:\n  '
                      f'{_listed(empty)}', logger='current',
                      level=logging.WARNING)

    def extra_repr(self) -> List[str]:
        body = super().extra_repr()
        if self._fully_initialized:
            from .label_stats import class_counts
            counts = class_counts(self)
            body.append(f'Labels per image: \t{counts.sum() / max(len(self), 1):.2f}')
            body.append(f'Images per class: \tmax {counts.max()}, '
                        f'min {counts.min()}')
        return body


def packaged_annotation(name: str) -> str:
    """Absolute path of an annotation file shipped with dab_mm."""
    return osp.join(osp.dirname(osp.abspath(__file__)), 'annotations', name)


class _PackagedMLTDataset(MLTDataset):
    """An MLT benchmark whose annotation files ship with the package."""

    ANN_PREFIX: str = ''
    SPLITS = ('train', 'test')

    def __init__(self,
                 data_root: str = '',
                 split: str = 'train',
                 ann_file: Optional[str] = None,
                 data_prefix: Union[str, dict] = '',
                 **kwargs):
        if split not in self.SPLITS:
            raise ValueError(f'{type(self).__name__}: split must be one of '
                             f'{self.SPLITS}, got {split!r}.')
        self.split = split
        if not ann_file:
            ann_file = packaged_annotation(f'{self.ANN_PREFIX}_{split}.json')
        kwargs.setdefault('test_mode', split == 'test')
        super().__init__(
            ann_file=ann_file,
            data_root=data_root,
            data_prefix=data_prefix,
            **kwargs)

    def extra_repr(self) -> List[str]:
        return [f'Split: \t{self.split}'] + super().extra_repr()
