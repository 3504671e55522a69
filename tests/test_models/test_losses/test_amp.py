"""Every loss of the project under mixed precision: CPU bfloat16 autocast
(what ``tools/train.py --amp`` turns on, as fp16, on a GPU) through the real
models of the FD-MLT configs."""
import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from dab_mm.datasets import LabelStats
from tests.fake_data import REPO

METHODS = ['erm', 'rw', 'focal', 'cbfocal', 'asl', 'mlgcn', 'dbfocal', 'dab',
           'dab-literal']


def build(method):
    folder = method.split('-')[0]  # dab-literal lives in configs/dab/
    cfg = Config.fromfile(
        f'{REPO}/configs/{folder}/{method}_r18w32_fd_mlt.py')
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    rng = np.random.default_rng(0)
    labels = rng.random((300, 20)) < np.linspace(0.5, 0.01, 20)[None, :]
    labels[:20, :] |= np.eye(20, dtype=bool)  # every class has images
    stats = LabelStats.from_labels(labels)
    for m in model.modules():
        if m is not model and hasattr(m, 'set_label_stats'):
            m.set_label_stats(stats)
    return model


@pytest.mark.parametrize('method', METHODS)
def test_loss_and_gradients_under_bf16_autocast(method):
    model = build(method).train()
    g = torch.Generator().manual_seed(1)
    imgs = torch.randint(0, 256, (4, 3, 64, 64), generator=g).float()
    samples = [DataSample().set_gt_label(lbl)
               for lbl in ([0], [1, 7], [19], [3, 4, 5])]
    data = model.data_preprocessor(dict(inputs=list(imgs.to(torch.uint8)),
                                        data_samples=samples), True)
    ref = model.loss(data['inputs'], data['data_samples'])['loss']
    ref.backward()
    ref_grad = {n: p.grad.clone() for n, p in model.named_parameters()
                if p.grad is not None}
    model.zero_grad()
    with torch.autocast('cpu', dtype=torch.bfloat16):
        loss = model.loss(data['inputs'], data['data_samples'])['loss']
    assert loss.dtype == torch.float32 and torch.isfinite(loss)
    # bf16 keeps 8 bits of mantissa: the value within a few percent
    assert abs(loss.item() - ref.item()) <= 0.05 * abs(ref.item()) + 1e-3
    loss.backward()
    head_grads = 0
    for n, p in model.named_parameters():
        if p.grad is None:
            continue
        assert torch.isfinite(p.grad).all(), n
        if n.startswith('head.') and ref_grad[n].norm() > 0:
            head_grads += 1
            cos = torch.nn.functional.cosine_similarity(
                p.grad.flatten().float(), ref_grad[n].flatten(), dim=0)
            assert cos > 0.95, (n, float(cos))
    assert head_grads > 0


def test_float32_loss_keeps_asl_finite_in_float16():
    """mmpretrain's AsymmetricLoss in float16 (GPU --amp) turns a confident
    mistake into log(0) = -inf; wrapped in Float32Loss it computes the
    float32 value."""
    asl = dict(type='AsymmetricLoss', gamma_pos=0.0, gamma_neg=4.0,
               clip=0.05, use_sigmoid=True)
    plain = MODELS.build(asl)
    wrapped = MODELS.build(dict(type='Float32Loss', loss=asl))
    z = torch.tensor([[20.0, -20.0, 3.0, -3.0]])
    y = torch.tensor([[0.0, 1.0, 1.0, 0.0]])
    ref = plain(z, y)
    assert torch.isinf(plain(z.half(), y.half()))  # the failure it fixes
    zh = z.half().requires_grad_(True)
    got = wrapped(zh, y.half())
    assert got.dtype == torch.float32 and torch.equal(got, ref)
    got.backward()
    assert zh.grad.dtype == torch.float16 and torch.isfinite(zh.grad).all()
    # bf16 autocast on the CPU: the same float32 value
    with torch.autocast('cpu', dtype=torch.bfloat16):
        assert torch.equal(wrapped(z, y), ref)
