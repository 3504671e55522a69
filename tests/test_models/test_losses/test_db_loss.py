import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from dab_mm.models.losses import (DABLoss, DBLoss, class_balanced_weight,
                                  inverse_frequency_weight, rebalance_weight)
from mmpretrain.registry import MODELS
from tests.fake_data import voc_mlt_train_labels

LN2 = math.log(2.0)


def voc():
    y = torch.tensor(voc_mlt_train_labels()).float()
    return y, y.sum(0)


def test_plain_is_bce():
    torch.manual_seed(0)
    z, y = torch.randn(5, 4) * 4, (torch.rand(5, 4) > 0.5).float()
    loss = MODELS.build(dict(type='DBLoss'))
    assert loss(z, y).item() == pytest.approx(
        F.binary_cross_entropy_with_logits(z, y).item(), rel=1e-6)
    assert loss(torch.zeros(2, 3), torch.ones(2, 3)).item() == pytest.approx(LN2)
    # avg_factor counts samples: still a mean over B*C
    assert loss(z, y, avg_factor=5).item() == pytest.approx(loss(z, y).item())


def test_focal_closed_form():
    loss = DBLoss(gamma=2.0)
    # z = 0: l = ln2, p_t = 1/2, (1 - p_t)^2 = 1/4
    assert loss(torch.zeros(1, 2), torch.tensor([[1., 0.]])).item() == \
        pytest.approx(LN2 / 4, rel=1e-6)


def test_ntr_closed_form():
    counts, n_img = [2, 6], 8
    loss = DBLoss(class_counts=counts, num_images=n_img, kappa=0.5,
                  neg_scale=4.0)
    nu = [0.5 / 4 * math.log((c / n_img) / (1 - c / n_img)) for c in counts]
    got = loss(torch.zeros(1, 2), torch.tensor([[1., 0.]]),
               reduction_override='none')[0]
    pos = math.log(1 + math.exp(nu[0]))          # log(1 + e^{-(0 - nu)})
    neg = math.log(1 + math.exp(-4 * nu[1])) / 4  # (1/λ) log(1 + e^{λ(0 - nu)})
    assert got.tolist() == pytest.approx([pos, neg], rel=1e-6)


def test_reference_numbers_on_real_voc_counts():
    y, counts = voc()
    w = rebalance_weight(y, counts, beta=0.1, mu=10.0, epsilon=0.3)
    assert w[0, [4, 14, 19]].tolist() == pytest.approx(
        [0.5437, 0.1795, 1.0753], abs=5e-5)
    assert (w.min().item(), w.max().item()) == pytest.approx((0.1495, 1.1),
                                                             abs=5e-5)
    loss = DBLoss(class_counts=counts, num_images=1142,
                  reweight_func='rebalance', kappa=0.05, neg_scale=5.0)
    assert loss.element_weight(y[:1])[0, [4, 14, 19]].tolist() == \
        pytest.approx([0.5437, 0.1795, 1.0753], abs=5e-5)
    b = loss.prior_bias
    assert (b.min().item(), b.max().item()) == pytest.approx(
        (-0.0565, 0.0075), abs=5e-5)
    assert b.argmin().item() == 9 and b.argmax().item() == 14  # cow, person


def test_dab_equals_db_rebalanced_without_reg_and_focal():
    y, counts = voc()
    torch.manual_seed(2)
    z = torch.randn(32, 20) * 3
    dab = DABLoss(class_counts=counts, phi=0.0, gamma_pos=0.0,
                  gamma_neg=0.0, beta=0.1, mu=10.0, epsilon=0.3)
    db = DBLoss(class_counts=counts, reweight_func='rebalance', alpha=0.1,
                beta=10.0, mu=0.3)
    assert dab(z, y[:32]).item() == pytest.approx(db(z, y[:32]).item(),
                                                  rel=1e-6)


def test_rw_weights():
    y = torch.tensor([[1., 0.], [0., 1.]])
    w = inverse_frequency_weight(y, torch.tensor([1., 4.]), power=0.5)
    assert w.flatten().tolist() == pytest.approx([4 / 3, 2 / 3] * 2)
    assert w.mean().item() == pytest.approx(1.0)
    w = inverse_frequency_weight(y, torch.tensor([1., 4.]), power=1.0)
    assert w[0].tolist() == pytest.approx([1.6, 0.4])
    loss = DBLoss(class_counts=[1, 4], reweight_func='sqrt_inverse')
    assert loss(torch.zeros(2, 2), y).item() == pytest.approx(LN2)


def test_cb_weights_closed_form():
    counts = torch.tensor([1., 2.])
    y = torch.tensor([[1., 1.], [0., 1.], [0., 0.]])
    # w(n) = (1-β)/(1-β^n), β = 0.5: w(1) = 1, w(2) = 2/3; scaled to sum 2
    by_class = class_balanced_weight(y, counts, 0.5, 'by_class')
    assert by_class[0].tolist() == pytest.approx([1.2, 0.8])
    avg_w = class_balanced_weight(y, counts, 0.5, 'average_w')[:, 0]
    assert avg_w.tolist() == pytest.approx([1.0, 0.8, 1.0])
    avg_n = class_balanced_weight(y, counts, 0.5, 'average_n')[:, 0]
    assert avg_n.tolist() == pytest.approx(
        [1.2 * 0.5 / (1 - 0.5**1.5), 0.8, 1.0])
    min_n = class_balanced_weight(y, counts, 0.5, 'min_n')[:, 0]
    assert min_n.tolist() == pytest.approx([1.2, 0.8, 1.0])


def test_gradients_finite_at_extremes():
    y, counts = voc()
    z = torch.full((4, 20), 100.0)
    z[:, ::2] = -100
    z.requires_grad_(True)
    loss = DBLoss(class_counts=counts, num_images=1142,
                  reweight_func='rebalance', kappa=0.05, neg_scale=5.0,
                  gamma=2.0, loss_weight=2.0)
    out = loss(z, y[:4])
    out.backward()
    assert torch.isfinite(out) and torch.isfinite(z.grad).all()


def test_errors():
    with pytest.raises(ValueError, match='reweight_func'):
        DBLoss(reweight_func='inv')
    with pytest.raises(ValueError, match='gamma'):
        DBLoss(gamma=0.5)
    with pytest.raises(RuntimeError, match='LabelStatsHook'):
        DBLoss(reweight_func='CB')(torch.zeros(1, 2), torch.ones(1, 2))
    with pytest.raises(ValueError, match=r'1 \(b: n=0\)'):
        DBLoss(reweight_func='rebalance').set_class_counts([2, 0], ['a', 'b'])
    with pytest.raises(ValueError, match='num_images'):
        DBLoss(kappa=0.05, class_counts=[1, 2])
    with pytest.raises(ValueError, match='every image'):
        DBLoss(kappa=0.05, class_counts=[4, 2], num_images=4)
    # plain BCE needs no counts at all
    assert torch.isfinite(DBLoss()(torch.zeros(1, 2), torch.ones(1, 2)))
