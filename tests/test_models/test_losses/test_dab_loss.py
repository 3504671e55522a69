import math

import pytest
import torch
import torch.nn.functional as F

from dab_mm.models.losses import DABLoss, dab_loss, rebalance_weight
from mmpretrain.registry import MODELS

LN2 = math.log(2.0)


def sig(x):
    return 1.0 / (1.0 + math.exp(-x))


def scalar_dab(z, y, counts, phi=0.0, gp=0.0, gn=3.0, M=1.0, literal=False,
               beta=0.1, mu=5.0, eps=0.3):
    """Element-by-element oracle of method.md §1-4 (plain Python floats)."""
    B, C = len(z), len(z[0])
    total = 0.0
    for k in range(B):
        pi = sum(1.0 / counts[j] for j in range(C) if y[k][j])
        for i in range(C):
            s = (1.0 / counts[i]) / pi
            s_hat = beta + sig(mu * (s - eps))
            w = phi + (1 - phi) * s_hat
            p = sig(z[k][i])
            if y[k][i]:
                ell = -((1 - p)**gp) * math.log(p)
            else:
                ph = sig(M * (p if literal else z[k][i]))
                ell = -(ph**gn) * math.log(1 - ph)
            total += w * ell
    return total / (B * C)


Z = [[0.3, -1.2, 2.0], [1.5, 0.0, -0.7]]
Y = [[1, 0, 1], [0, 1, 0]]
COUNTS = [3, 10, 40]


def test_registered():
    loss = MODELS.build(dict(type='DABLoss', class_counts=[1, 2]))
    assert isinstance(loss, DABLoss)
    assert (loss.gamma_pos, loss.gamma_neg, loss.modulation_scale, loss.mu,
            loss.beta, loss.epsilon, loss.phi) == (0.0, 3.0, 1.0, 5.0, 0.1,
                                                   0.3, 0.0)


def test_zero_logits_closed_form():
    z = torch.zeros(2, 2)
    y = torch.tensor([[1., 0.], [0., 1.]])
    # phi = 1: plain asymmetric loss; positives ln2, negatives 0.5^3 ln2
    loss = DABLoss(class_counts=[5, 5], phi=1.0)
    assert loss(z, y).item() == pytest.approx((LN2 + LN2 / 8) / 2, rel=1e-6)
    loss = DABLoss(class_counts=[5, 5], phi=1.0, gamma_neg=0.0)
    assert loss(z, y).item() == pytest.approx(LN2, rel=1e-6)


def test_rebalance_weight_closed_form():
    # two classes with one image each, one image holding both: s = 1/2
    w = rebalance_weight(torch.tensor([[1., 1.]]), torch.tensor([1., 1.]),
                         beta=0.1, mu=5.0, epsilon=0.3)
    expected = 0.1 + sig(5.0 * (0.5 - 0.3))
    assert torch.allclose(w, torch.full((1, 2), expected))


def test_rebalance_weight_real_voc_counts():
    """DB's weights on VOC-MLT image 0 (positives 4, 14, 19), α .1 β 10 μ .3."""
    counts = torch.tensor([6, 34, 8, 14, 154, 17, 249, 29, 479, 4, 240, 48,
                           11, 20, 775, 100, 5, 82, 7, 64.])
    y = torch.zeros(1, 20)
    y[0, [4, 14, 19]] = 1
    w = rebalance_weight(y, counts, beta=0.1, mu=10.0, epsilon=0.3)
    assert w[0, [4, 14, 19]].tolist() == pytest.approx(
        [0.5437, 0.1795, 1.0753], abs=5e-5)


@pytest.mark.parametrize('literal', [False, True])
@pytest.mark.parametrize('phi,gp,gn,M', [(0.0, 0.0, 3.0, 1.0),
                                         (0.3, 1.0, 2.0, 2.0),
                                         (1.0, 2.0, 4.0, 0.5)])
def test_matches_scalar_oracle(literal, phi, gp, gn, M):
    loss = DABLoss(class_counts=COUNTS, phi=phi, gamma_pos=gp, gamma_neg=gn,
                   modulation_scale=M,
                   modulation='probability' if literal else 'logit')
    got = loss(torch.tensor(Z), torch.tensor(Y, dtype=torch.float32))
    want = scalar_dab(Z, Y, COUNTS, phi, gp, gn, M, literal)
    assert got.item() == pytest.approx(want, rel=1e-5)


def test_literal_reading_negative_closed_form():
    # z = 0, negative, M = 1: p̂ = σ(σ(0)) = σ(0.5)
    loss = DABLoss(class_counts=[4, 4], phi=1.0, modulation='probability')
    ph = sig(0.5)
    got = loss(torch.zeros(1, 2), torch.tensor([[1., 0.]]))
    assert got.item() == pytest.approx((LN2 - ph**3 * math.log(1 - ph)) / 2,
                                       rel=1e-6)


def test_equals_db_rebalanced_bce():
    """φ = 0, γ± = 0 is DB's re-balanced BCE (α 0.1, β 10, μ 0.3)."""
    torch.manual_seed(0)
    counts = torch.tensor([6., 34., 8., 154., 775.])
    z = torch.randn(6, 5) * 3
    y = (torch.rand(6, 5) < 0.4).float()
    y[y.sum(1) == 0, 4] = 1
    loss = DABLoss(class_counts=counts, phi=0.0, gamma_pos=0.0,
                   gamma_neg=0.0, beta=0.1, mu=10.0, epsilon=0.3)
    # DB written out: repeat rate, then α + σ(β (r − μ)), then BCE, mean.
    freq_inv = 1.0 / counts
    repeat = (y * freq_inv).sum(1, keepdim=True)
    weight = 0.1 + torch.sigmoid(10.0 * (freq_inv / repeat - 0.3))
    db = F.binary_cross_entropy_with_logits(z, y, weight=weight)
    assert loss(z, y).item() == pytest.approx(db.item(), rel=1e-6)


def test_reduction_scale_pinned():
    """mmpretrain's heads pass avg_factor=B; the loss stays a mean over B·C."""
    torch.manual_seed(1)
    z, y = torch.randn(4, 5), (torch.rand(4, 5) > 0.5).float()
    y[:, 0] = 1
    loss = DABLoss(class_counts=[1, 2, 3, 4, 5])
    per_elem = loss(z, y, reduction_override='none')
    assert per_elem.shape == (4, 5)
    mean = per_elem.sum() / 20
    assert loss(z, y).item() == pytest.approx(mean.item(), rel=1e-6)
    assert loss(z, y, avg_factor=4).item() == pytest.approx(mean.item(),
                                                            rel=1e-6)
    assert loss(z, y, reduction_override='sum').item() == pytest.approx(
        per_elem.sum().item(), rel=1e-6)


def test_loss_weight_and_element_weight():
    z, y = torch.zeros(1, 2), torch.tensor([[1., 0.]])
    base = DABLoss(class_counts=[2, 2])(z, y)
    assert DABLoss(class_counts=[2, 2], loss_weight=3.0)(z, y).item() == \
        pytest.approx(3 * base.item())
    w = torch.tensor([[2.0, 0.0]])
    full = DABLoss(class_counts=[2, 2])(z, y, reduction_override='none')
    assert DABLoss(class_counts=[2, 2])(z, y, weight=w).item() == \
        pytest.approx((full * w).mean().item())


@pytest.mark.parametrize('modulation', ['logit', 'probability'])
@pytest.mark.parametrize('gp,gn', [(0.0, 3.0), (2.0, 4.0)])
def test_gradients_finite_at_extreme_logits(modulation, gp, gn):
    z = torch.tensor([[100., -100., 100.], [-100., 100., -100.]],
                     requires_grad=True)
    y = torch.tensor([[1., 1., 0.], [0., 0., 1.]])
    loss = DABLoss(class_counts=[1, 2, 3], gamma_pos=gp, gamma_neg=gn,
                   modulation=modulation)
    out = loss(z, y)
    out.backward()
    assert torch.isfinite(out) and torch.isfinite(z.grad).all()
    # A confident false positive (z = 100, y = 0) still gets pushed down in
    # the default reading; a confident true positive gets ~0 gradient.
    if modulation == 'logit':
        assert z.grad[0, 2] > 0
    assert abs(z.grad[0, 0].item()) < 1e-6


def test_float32_under_autocast():
    z = torch.randn(3, 4).bfloat16()
    y = torch.tensor([[1., 0, 0, 1], [0, 1, 0, 0], [0, 0, 1, 1]])
    loss = DABLoss(class_counts=[3, 5, 7, 9])
    with torch.autocast('cpu', dtype=torch.bfloat16):
        out = loss(z, y)
    assert out.dtype == torch.float32
    assert out.item() == pytest.approx(loss(z.float(), y).item(), rel=1e-6)


def test_image_without_positive_gets_limit_weight():
    w = rebalance_weight(torch.zeros(2, 3), torch.tensor([1., 2., 3.]),
                         beta=0.1)
    assert torch.equal(w, torch.full((2, 3), 1.1))
    loss = DABLoss(class_counts=[1, 2, 3])
    out = loss(torch.randn(2, 3), torch.zeros(2, 3))
    assert torch.isfinite(out)


def test_zero_count_class_error_and_opt_in():
    with pytest.raises(ValueError, match=r'1 \(cow\).*allow_empty_classes'):
        DABLoss().set_class_counts([3, 0, 2], ['cat', 'cow', 'dog'])
    loss = DABLoss(class_counts=[3, 0, 2], allow_empty_classes=True)
    y = torch.tensor([[1., 0., 0.]])
    w = rebalance_weight(y, loss.class_counts, beta=0.1)
    assert w[0, 1].item() == pytest.approx(1.1)
    assert torch.isfinite(w).all()
    assert torch.isfinite(loss(torch.randn(1, 3), y))


def test_missing_counts_and_shape_errors():
    with pytest.raises(RuntimeError, match='LabelStatsHook'):
        DABLoss()(torch.zeros(1, 2), torch.zeros(1, 2))
    with pytest.raises(ValueError, match='num_classes'):
        DABLoss(class_counts=[1, 2, 3])(torch.zeros(1, 2), torch.zeros(1, 2))
    with pytest.raises(ValueError, match='same shape'):
        dab_loss(torch.zeros(1, 2), torch.zeros(1, 3), torch.ones(2))
    with pytest.raises(ValueError, match='modulation'):
        DABLoss(modulation='prob')
    with pytest.raises(ValueError, match='phi'):
        DABLoss(phi=1.5)


@pytest.mark.parametrize('bad', [float('nan'), float('inf'), -float('inf')])
def test_non_finite_logits_raise(bad):
    z = torch.zeros(2, 2)
    z[1, 0] = bad
    with pytest.raises(FloatingPointError, match='1 non-finite logit'):
        DABLoss(class_counts=[1, 1])(z, torch.ones(2, 2))


def test_counts_follow_logits_device_and_not_in_state_dict():
    loss = DABLoss(class_counts=[1, 2])
    assert 'class_counts' not in loss.state_dict()
    loss(torch.zeros(1, 2, dtype=torch.float64), torch.ones(1, 2))
    assert loss.class_counts.device.type == 'cpu'


def test_scale_through_mmpretrain_multilabel_head():
    """MultiLabelLinearClsHead passes avg_factor=B: still a mean over B·C."""
    from mmpretrain.structures import DataSample
    head = MODELS.build(dict(type='MultiLabelLinearClsHead', num_classes=4,
                             in_channels=3,
                             loss=dict(type='DABLoss', class_counts=[1, 2, 3, 4])))
    feats = (torch.randn(5, 3), )
    samples = [DataSample().set_gt_label([i % 4]) for i in range(5)]
    got = head.loss(feats, samples)['loss']
    logits = head(feats)
    y = torch.zeros(5, 4)
    y[torch.arange(5), torch.arange(5) % 4] = 1
    want = head.loss_module(logits, y, reduction_override='none').mean()
    assert got.item() == pytest.approx(want.item(), rel=1e-6)
