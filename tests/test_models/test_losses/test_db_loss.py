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
    # the released code adds the bias: z' = z + nu
    pos = math.log(1 + math.exp(-nu[0]))         # log(1 + e^{-(0 + nu)})
    neg = math.log(1 + math.exp(4 * nu[1])) / 4  # (1/λ) log(1 + e^{λ(0 + nu)})
    assert got.tolist() == pytest.approx([pos, neg], rel=1e-6)
    # the other reading subtracts it
    other = DBLoss(class_counts=counts, num_images=n_img, kappa=0.5,
                   neg_scale=4.0, prior_bias_sign=-1)
    got = other(torch.zeros(1, 2), torch.tensor([[1., 0.]]),
                reduction_override='none')[0]
    assert got.tolist() == pytest.approx(
        [math.log(1 + math.exp(nu[0])), math.log(1 + math.exp(-4 * nu[1])) / 4],
        rel=1e-6)


def _sigmoid(x):
    return 1.0 / (1.0 + math.exp(-x))


def test_db_focal_single_elements_closed_form():
    """DB-Focal as its authors run it, element by element: a rare (n = 4)
    and a frequent (n = 775) class of N = 1142, λ = 5, κ = 0.05, γ = 2."""
    n, big_n, lam, kappa = [4, 775], 1142, 5.0, 0.05
    nu = [kappa / lam * math.log((c / big_n) / (1 - c / big_n)) for c in n]
    assert nu[0] < 0 < nu[1]  # rare classes start below, frequent above
    loss = DBLoss(class_counts=n, num_images=big_n, kappa=kappa,
                  neg_scale=lam, gamma=2.0)
    z = torch.tensor([[0.3, -0.2], [-0.4, 1.1]])
    y = torch.tensor([[1., 0.], [0., 1.]])
    got = loss(z, y, reduction_override='none')

    def positive(zz, v):
        zp = zz + v
        return _sigmoid(-zp)**2 * math.log(1 + math.exp(-zp))

    def negative(zz, v):
        zp = zz + v
        return _sigmoid(lam * zp)**2 * math.log(1 + math.exp(lam * zp)) / lam

    expect = [[positive(0.3, nu[0]), negative(-0.2, nu[1])],
              [negative(-0.4, nu[0]), positive(1.1, nu[1])]]
    assert got.tolist()[0] == pytest.approx(expect[0], rel=1e-5)
    assert got.tolist()[1] == pytest.approx(expect[1], rel=1e-5)
    # Not the focal factor of the loss already divided by λ:
    zp = -0.2 + nu[1]
    l_div = math.log(1 + math.exp(lam * zp)) / lam
    wrong = (1 - math.exp(-l_div))**2 * l_div
    assert abs(wrong - expect[0][1]) > 0.2 * expect[0][1]
    # The weight and loss_weight multiply afterwards.
    w = torch.tensor([[0.5, 2.0], [1.5, 0.25]])
    got_w = DBLoss(class_counts=n, num_images=big_n, kappa=kappa,
                   neg_scale=lam, gamma=2.0, loss_weight=2.0)(
                       z, y, weight=w, reduction_override='none')
    assert torch.allclose(got_w, 2.0 * w * got, rtol=1e-6)


def authors_db_focal(z, y, counts, num_images, weight, kappa, lam, gamma,
                     loss_weight):
    """Float64 re-derivation of DB-Focal as the authors' code computes it:
    add the prior bias, scale negative logits by λ, BCE with logits, p_t
    from that unweighted BCE, then focal factor, weight / λ, mean."""
    z, y, w = (t.double() for t in (z, y, weight))
    p = counts.double() / num_images
    logits = z + kappa / lam * torch.log(p / (1 - p))
    logits = logits * y + logits * (1 - y) * lam
    bce = torch.clamp(logits, min=0) - logits * y + \
        torch.log1p(torch.exp(-logits.abs()))
    pt = torch.exp(-bce)
    w = w * y + w / lam * (1 - y)
    return loss_weight * ((1 - pt)**gamma * bce * w).mean()


def test_db_focal_equals_authors_formulas_on_random_inputs():
    y, counts = voc()
    torch.manual_seed(0)
    for batch in range(3):
        idx = torch.randint(0, len(y), (16, ))
        z = (torch.randn(16, 20) * 4).requires_grad_(True)
        loss = DBLoss(class_counts=counts, num_images=1142,
                      reweight_func='rebalance', alpha=0.1, beta=10.0, mu=0.3,
                      kappa=0.05, neg_scale=5.0, gamma=2.0, loss_weight=2.0)
        got = loss(z, y[idx])
        got.backward()
        z64 = z.detach().double().requires_grad_(True)
        ref = authors_db_focal(z64, y[idx], counts, 1142,
                               loss.element_weight(y[idx]), 0.05, 5.0, 2.0,
                               2.0)
        ref.backward()
        assert got.item() == pytest.approx(ref.item(), rel=1e-5)
        assert torch.allclose(z.grad.double(), z64.grad, rtol=1e-4,
                              atol=1e-9)


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
