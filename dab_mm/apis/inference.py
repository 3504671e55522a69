"""Multi-label inference with mmpretrain's inferencer machinery."""
import os
import os.path as osp
from math import ceil
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmcv.image import imread
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmpretrain.apis import ImageClassificationInferencer
from mmpretrain.structures import DataSample
from mmpretrain.utils import track

from ..datasets.image_check import image_problem
from ..utils.checkpoint import load_checkpoint_exactly

IMG_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif',
                  '.tiff', '.webp')


def list_images(inputs: Sequence[str], recursive: bool = False) -> List[str]:
    """Image files named in ``inputs``; a folder gives its images (by
    extension, sorted; with ``recursive`` also those in sub-folders)."""
    files = []
    for item in inputs:
        if osp.isdir(item):
            found = []
            for root, dirs, names in os.walk(item):
                dirs.sort()
                found += [osp.join(root, n) for n in sorted(names)
                          if n.lower().endswith(IMG_EXTENSIONS)]
                if not recursive:
                    break
            if not found:
                raise FileNotFoundError(
                    f'No image files ({", ".join(IMG_EXTENSIONS)}) in folder '
                    f'"{item}"' + ('' if recursive else
                                   ' (use --recursive for sub-folders)') + '.')
            files += found
        elif osp.isfile(item):
            files.append(item)
        else:
            raise FileNotFoundError(f'Input "{item}" is neither a file nor a '
                                    'folder.')
    return files


class MultiLabelInferencer(ImageClassificationInferencer):
    """:class:`ImageClassificationInferencer` for multi-label models.

    mmpretrain's inferencer reports only the arg-max class; this one keeps
    its model loading, test pipeline, batching and visualisation, and
    returns every class whose score reaches ``thr`` (or the ``topk`` best),
    with scores.

    Args:
        model (str | Config | BaseModel): Config file / object or model.
        pretrained (str | bool): Checkpoint. Defaults to True (the config's
            ``load_from``).
        device (str, optional): ``'cpu'``, ``'cuda'``, ... Defaults to the
            available device.
        thr (float, optional): Score threshold of a positive label. Defaults
            to the head's ``thr``, else 0.5.
        topk (int, optional): Instead of a threshold, the ``topk`` best
            classes.
        classes (Sequence[str], optional): Class names. Defaults to the
            checkpoint's dataset meta.
        strict (bool): Refuse a checkpoint whose weights do not fit the
            model of the config (missing, unexpected or mis-shaped keys;
            :func:`~dab_mm.utils.checkpoint.load_checkpoint_exactly`).
            mmpretrain's inferencer only warns and predicts with a partly
            initialised network. Defaults to True.

    Each result is a dict: ``pred_labels`` (class indices, best first),
    ``pred_classes``, ``pred_label_scores`` and ``pred_scores`` (all C
    scores, ``np.ndarray``).

    An input that cannot be read stops the call with its path and why
    (missing, empty, not a decodable image). With
    ``inferencer(inputs, skip_unreadable=True)`` the others are predicted and
    the result of an unreadable one is ``{'error': why}``; results stay in
    the order of the inputs.
    """

    preprocess_kwargs = {'skip_unreadable'}

    def __init__(self, model, pretrained=True, device=None,
                 thr: Optional[float] = None, topk: Optional[int] = None,
                 classes=None, strict: bool = True, **kwargs):
        if isinstance(model, (str, os.PathLike)) and \
                str(model).endswith('.py'):
            model = Config.fromfile(model)
        if pretrained is True and isinstance(model, Config):
            pretrained = model.get('load_from') or True
        checkpoint = pretrained if isinstance(pretrained, str) else None
        super().__init__(model, pretrained=False if checkpoint else
                         pretrained, device=device, classes=classes, **kwargs)
        if checkpoint:
            ckpt = load_checkpoint_exactly(
                self.model, checkpoint, strict=strict,
                config=getattr(self.config, 'filename', None),
                opt_out='strict=False (tools/infer.py: --non-strict)')
            meta = ckpt.get('meta', {}).get('dataset_meta')
            if meta:
                self.model._dataset_meta = meta
                if classes is None:
                    self.classes = meta.get('classes')
        if thr is not None and topk is not None:
            raise ValueError('Give either thr or topk, not both.')
        if topk is not None and topk < 1:
            raise ValueError(f'topk must be >= 1, got {topk}.')
        if thr is None and topk is None:
            head_thr = getattr(getattr(self.model, 'head', None), 'thr', None)
            thr = 0.5 if head_thr is None else float(head_thr)
        if thr is not None and not 0 <= thr <= 1:
            raise ValueError(f'thr must be in [0, 1] (a sigmoid score), got '
                             f'{thr}.')
        self.thr = thr
        self.topk = topk
        self._unreadable = {}  # input index -> why, of the last call

    def __call__(self, inputs, return_datasamples: bool = False,
                 batch_size: int = 1, **kwargs) -> list:
        """mmpretrain's ``BaseInferencer.__call__``, with the results of
        unreadable inputs (``skip_unreadable=True``) put back in place."""
        pre, fwd, vis, post = self._dispatch_kwargs(**kwargs)
        ori_inputs = self._inputs_to_list(inputs)
        self._unreadable = {}
        preds = []
        for data in track(self.preprocess(ori_inputs, batch_size, **pre),
                          'Inference', total=ceil(len(ori_inputs) /
                                                  batch_size)):
            preds.extend(self.forward(data, **fwd))
        readable = [x for i, x in enumerate(ori_inputs)
                    if i not in self._unreadable]
        visualization = self.visualize(readable, preds, **vis)
        done = iter(self.postprocess(preds, visualization,
                                     return_datasamples, **post))
        return [dict(error=self._unreadable[i]) if i in self._unreadable
                else next(done) for i in range(len(ori_inputs))]

    def preprocess(self, inputs, batch_size: int = 1,
                   skip_unreadable: bool = False):
        """Load and transform the inputs in batches (as mmpretrain's), naming
        an image that cannot be read, or skipping it."""

        def load(item):
            i, input_ = item
            try:
                img = imread(input_)
            except Exception:  # noqa: BLE001 - explained by image_problem
                img = None
            if img is None or img.size == 0:
                why = image_problem(input_) if isinstance(input_, str) \
                    else None
                why = why or 'not a decodable image'
                if not skip_unreadable:
                    raise ValueError(f'Cannot read image "{input_}" ({why}). '
                                     'Remove it from the inputs, or skip '
                                     'unreadable images (tools/infer.py does, '
                                     'with a warning).')
                self._unreadable[i] = why
                return None
            return self.pipeline(dict(img=img, img_shape=img.shape[:2],
                                      ori_shape=img.shape[:2]))

        loaded = (d for d in map(load, enumerate(inputs)) if d is not None)
        yield from map(default_collate,
                       self._get_chunk_data(loaded, batch_size))

    def select(self, scores: torch.Tensor) -> torch.Tensor:
        """Positive class indices of one score vector, best first."""
        order = torch.argsort(scores, descending=True, stable=True)
        if self.topk is not None:
            return order[:self.topk]
        return order[scores[order] >= self.thr]

    def forward(self, inputs, **kwargs) -> List[DataSample]:
        preds = super().forward(inputs, **kwargs)
        for sample in preds:
            scores = sample.pred_score
            if not torch.isfinite(scores).all():
                raise FloatingPointError(
                    'The model gave NaN/inf scores: the checkpoint is broken '
                    '(diverged training?).')
            # pred_label is what the visualiser draws.
            sample.set_pred_label(self.select(scores))
        return preds

    def postprocess(self, preds: List[DataSample], visualization,
                    return_datasamples: bool = False):
        if return_datasamples:
            return preds
        results = []
        for sample in preds:
            scores = sample.pred_score.detach().cpu()
            labels = sample.pred_label.cpu().tolist()
            result = dict(pred_scores=scores.numpy().astype(np.float32),
                          pred_labels=labels,
                          pred_label_scores=[float(scores[i]) for i in labels])
            if self.classes is not None:
                result['pred_classes'] = [self.classes[i] for i in labels]
            results.append(result)
        return results
