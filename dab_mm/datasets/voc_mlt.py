from mmpretrain.datasets.categories import VOC2007_CATEGORIES
from mmpretrain.registry import DATASETS

from .mlt_dataset import _PackagedMLTDataset


@DATASETS.register_module()
class VOCMLT(_PackagedMLTDataset):
    """VOC-MLT, the long-tailed multi-label split of Pascal VOC.

    From Wu et al., "Distribution-Balanced Loss for Multi-Label Classification
    in Long-Tailed Datasets", ECCV 2020 (https://arxiv.org/abs/2007.09654).
    Training: 1142 VOC2012 trainval images, 20 classes, n_i from 4 (cow) to
    775 (person). Test: VOC2007 test, 4952 images. Objects marked
    ``difficult`` count as positive labels. Classes in the alphabetical VOC
    order.

    The annotation files ship with dab_mm (``dab_mm/datasets/annotations``;
    provenance in their metainfo), so only the images are needed::

        data/VOCdevkit/VOC2012/JPEGImages/2008_000023.jpg   (train)
        data/VOCdevkit/VOC2007/JPEGImages/000001.jpg        (test)

    Args:
        data_root (str): The VOCdevkit folder. Defaults to ''.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        ann_file (str, optional): Another annotation file (see
            :class:`MLTDataset` for formats). Defaults to the packaged one.
        **kwargs: Other arguments of :class:`MLTDataset`.
    """

    METAINFO = {'classes': VOC2007_CATEGORIES}
    ANN_PREFIX = 'voc_mlt'
