"""Every leaf config in configs/ builds, trains two iterations and evaluates
on a tiny fake data tree (backbone and input overridden small)."""
import copy
import glob
import json
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

import dab_mm  # noqa: F401
from dab_mm.datasets import packaged_annotation
from tests.fake_data import (REPO, make_image_tree, make_tiny_fd_mlt,
                             make_tiny_mlt_fd)

# every method's configs: configs/<method>/<method>[-variant]_<setup>.py; the
# two DAB examples (another backbone, your own dataset) have tests of their own
EXAMPLES = ('dab_convnext-tiny_voc_mlt.py', 'dab_r101_custom_mlt.py')
LEAVES = sorted(p for p in glob.glob(osp.join(REPO, 'configs', '*', '*.py'))
                if '_base_' not in p and osp.basename(p) not in EXAMPLES)
PREFIX = {'VOCMLT': 'voc_mlt', 'COCOMLT': 'coco_mlt'}


@pytest.fixture(scope='module')
def trees(tmp_path_factory):
    roots = {}
    for ds_type, prefix in PREFIX.items():
        root = str(tmp_path_factory.mktemp(prefix))
        make_image_tree(root, [packaged_annotation(f'{prefix}_train.json'),
                               packaged_annotation(f'{prefix}_test.json')],
                        size=8)
        roots[ds_type] = root
    roots['data/fd_mlt'] = str(tmp_path_factory.mktemp('fd_mlt'))
    make_tiny_fd_mlt(roots['data/fd_mlt'])
    for kind in ('voc', 'coco'):  # the proxies, from fake photos
        roots[f'data/{kind}_mlt_fd'] = make_tiny_mlt_fd(
            str(tmp_path_factory.mktemp(kind)), kind)
    return roots


def tree_for(cfg, trees):
    ds = cfg.train_dataloader.dataset
    return trees[ds.type if ds.type in PREFIX else ds.data_root]


def shrink(cfg, root, work_dir):
    """The overrides a test (or a CPU user) applies to an R101/448 config."""
    cfg = copy.deepcopy(cfg)
    cfg.work_dir = work_dir
    if cfg.model.backbone.get('depth') == 101:
        cfg.model.backbone.update(depth=18, init_cfg=None)
        cfg.model.head.in_channels = 512
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg[name]
        loader.update(num_workers=0, persistent_workers=False, batch_size=4)
        loader.dataset.data_root = root
        for t in loader.dataset.pipeline:
            if t.type == 'Resize':
                t.scale = (40, 40) if name == 'train_dataloader' else (32, 32)
            if t.type == 'RandomCrop':
                t.crop_size = 32
        if name != 'train_dataloader':
            loader.dataset.indices = 16
    if cfg.model.backbone.get('feature_cache'):  # not in the repository
        cfg.model.backbone.feature_cache = True
    # two iterations over the full training split (counts, sampler and loss
    # stay those of the config)
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2,
                         val_interval=2)
    cfg.default_hooks.logger.interval = 1
    cfg.randomness = dict(seed=0)
    return cfg


def test_configs_exist():
    names = [osp.basename(p) for p in LEAVES]
    assert 'dab_r101_voc_mlt.py' in names and 'dab_r101_coco_mlt.py' in names


@pytest.mark.parametrize('path', LEAVES, ids=osp.basename)
def test_leaf_config_trains_and_evaluates(path, trees, tmp_path):
    cfg = Config.fromfile(path)
    name = osp.basename(path)
    if '_effl0_' in name:  # the pretrained protocol: offline ImageNet weights
        assert cfg.model.backbone.type == 'EfficientNetLite'
        assert cfg.model.backbone.pretrained
        assert cfg.data_preprocessor.mean == cfg.data_preprocessor.std == \
            [127.5] * 3
        crop = 128
    else:
        r101 = '_r101_' in name
        assert cfg.model.backbone.depth == (101 if r101 else 18)
        crop = 448 if r101 else 64
    train_steps = [t.type for t in cfg.train_dataloader.dataset.pipeline]
    if '_mlt_fd' in name:  # the proxies: flips only, frozen features cached
        assert train_steps == ['LoadImageFromFile', 'Resize', 'RandomFlip',
                               'PackInputs']
        assert cfg.train_dataloader.dataset.pipeline[1].scale == (
            (192, 128) if '_voc_' in name else (128, 128))
        assert cfg.model.backbone.cache_train
        assert cfg.val_dataloader.dataset.ann_file == 'annotations/val.json'
        assert cfg.test_dataloader.dataset.ann_file == 'annotations/test.json'
    else:
        assert cfg.train_dataloader.dataset.pipeline[2].crop_size == crop
    assert cfg.auto_scale_lr.base_batch_size == 64
    assert cfg.model.head.num_classes == cfg.data_preprocessor.num_classes
    # every config: counts, augmentation seeded per (seed, epoch, sample)
    hooks = [h.type for h in cfg.custom_hooks]
    assert {'LabelStatsHook', 'SeededAugmentationHook'} <= set(hooks)
    assert ('PhiScheduleHook' in hooks) != ('-nophi_' in name)
    cfg = shrink(cfg, tree_for(cfg, trees), str(tmp_path))
    runner = Runner.from_cfg(cfg)
    runner.train()
    assert runner.iter == 2
    metrics = runner.val_loop.run()
    assert 0 <= metrics['mlt/mAP'] <= 100
    f1 = {f'mlt/{k}' for k in ('CP', 'CR', 'CF1', 'OP', 'OR', 'OF1')}
    assert f1 <= set(metrics) and all(0 <= metrics[k] <= 100 for k in f1)
    assert set(metrics) <= {'mlt/mAP', 'mlt/mAP_head', 'mlt/mAP_middle',
                            'mlt/mAP_tail', 'mlt/AP_classwise'} | f1


def test_other_backbone_example_builds_and_computes_dab_loss():
    """configs/dab/dab_convnext-tiny_voc_mlt.py (shown in the README)."""
    import torch
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    from mmengine.registry import init_default_scope

    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'dab', 'dab_convnext-tiny_voc_mlt.py'))
    assert cfg.model.backbone.type == 'ConvNeXt'
    assert cfg.train_dataloader.sampler.type == 'ClassAwareSampler'
    init_default_scope('mmpretrain')
    model_cfg = cfg.model
    model_cfg.backbone.init_cfg = None
    model_cfg.data_preprocessor = cfg.data_preprocessor
    model = MODELS.build(model_cfg)
    model.head.loss_module.set_class_counts(list(range(1, 21)))
    samples = [DataSample().set_gt_label([0, 3]), DataSample().set_gt_label([19])]
    data = model.data_preprocessor(
        dict(inputs=[torch.rand(3, 32, 32) * 255] * 2, data_samples=samples),
        True)
    losses = model(**data, mode='loss')
    assert torch.isfinite(losses['loss'])


@pytest.mark.parametrize('proxy', ['voc_mlt_fd', 'coco_mlt_fd'])
def test_tuned_dab_config_holds_the_validation_choice(proxy):
    """Once a proxy's DAB tuning is complete (its last stage, mu, has
    chosen), ``dab-tuned_effl0_<proxy>.py`` holds every value the tuning
    chose (lr, gamma-, mu), so the config alone is the recommended model;
    until then it is the paper's DAB at the chosen lr or the paper's lr."""
    name = f'dab-tuned_effl0_{proxy}'
    with open(osp.join(REPO, 'results', proxy, 'tuning', 'chosen.json')) as f:
        chosen = json.load(f)[name]
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'dab', name + '.py'))
    if 'model.head.loss.mu' not in chosen:
        pytest.skip(f'{proxy}: the mu stage has not chosen yet')
    for key, value in chosen.items():
        node = cfg
        for part in key.split('.'):
            node = node[part]
        assert float(node) == float(value), (key, node, value)
