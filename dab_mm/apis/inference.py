"""Multi-label inference with mmpretrain's inferencer machinery."""
import os
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
import torch
from mmpretrain.apis import ImageClassificationInferencer
from mmpretrain.structures import DataSample

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

    Each result is a dict: ``pred_labels`` (class indices, best first),
    ``pred_classes``, ``pred_label_scores`` and ``pred_scores`` (all C
    scores, ``np.ndarray``).
    """

    def __init__(self, model, pretrained=True, device=None,
                 thr: Optional[float] = None, topk: Optional[int] = None,
                 classes=None, **kwargs):
        super().__init__(model, pretrained=pretrained, device=device,
                         classes=classes, **kwargs)
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
