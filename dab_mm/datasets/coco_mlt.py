from mmpretrain.registry import DATASETS

from .mlt_dataset import _PackagedMLTDataset

# The 80 COCO-2017 categories in the order of their category ids (the order
# of ``COCO.getCatIds()``), which the MLT split files use.
COCO_CATEGORIES = (
    'person', 'bicycle', 'car', 'motorcycle', 'airplane', 'bus', 'train',
    'truck', 'boat', 'traffic light', 'fire hydrant', 'stop sign',
    'parking meter', 'bench', 'bird', 'cat', 'dog', 'horse', 'sheep', 'cow',
    'elephant', 'bear', 'zebra', 'giraffe', 'backpack', 'umbrella', 'handbag',
    'tie', 'suitcase', 'frisbee', 'skis', 'snowboard', 'sports ball', 'kite',
    'baseball bat', 'baseball glove', 'skateboard', 'surfboard',
    'tennis racket', 'bottle', 'wine glass', 'cup', 'fork', 'knife', 'spoon',
    'bowl', 'banana', 'apple', 'sandwich', 'orange', 'broccoli', 'carrot',
    'hot dog', 'pizza', 'donut', 'cake', 'chair', 'couch', 'potted plant',
    'bed', 'dining table', 'toilet', 'tv', 'laptop', 'mouse', 'remote',
    'keyboard', 'cell phone', 'microwave', 'oven', 'toaster', 'sink',
    'refrigerator', 'book', 'clock', 'vase', 'scissors', 'teddy bear',
    'hair drier', 'toothbrush')


@DATASETS.register_module()
class COCOMLT(_PackagedMLTDataset):
    """COCO-MLT, the long-tailed multi-label split of MS-COCO 2017.

    From Wu et al., "Distribution-Balanced Loss for Multi-Label Classification
    in Long-Tailed Datasets", ECCV 2020 (https://arxiv.org/abs/2007.09654).
    Training: 1909 COCO-2017 train images, 80 classes, n_i from 6 to 1128.
    Test: all 5000 COCO-2017 val images (the 48 without annotations are kept
    as all-negative rows). Classes in COCO category-id order.

    The annotation files ship with dab_mm, so only the images are needed::

        data/coco/train2017/000000000149.jpg   (train)
        data/coco/val2017/000000397133.jpg     (test)

    Args:
        data_root (str): The COCO folder. Defaults to ''.
        split (str): ``'train'`` or ``'test'``. Defaults to ``'train'``.
        ann_file (str, optional): Another annotation file. Defaults to the
            packaged one.
        **kwargs: Other arguments of :class:`MLTDataset`.
    """

    METAINFO = {'classes': COCO_CATEGORIES}
    ANN_PREFIX = 'coco_mlt'
