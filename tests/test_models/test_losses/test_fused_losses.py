"""The fused DAB / DB losses (value and closed-form gradient computed
together) against the autograd formulas they replaced, run in float64."""
import itertools

import pytest
import torch
import torch.nn.functional as F

from dab_mm.models.losses import DABLoss, DBLoss
from dab_mm.models.losses.dab_loss import dab_loss, rebalance_weight
from dab_mm.models.losses.db_loss import db_loss
from dab_mm.models.losses.fused import log1p_exp_neg_abs, softplus_pair


def reference_dab(z, y, counts, phi, gamma_pos, gamma_neg, M, modulation,
                  weight=None):
    """Element loss of the autograd implementation (float64)."""
    loss_pos = -F.logsigmoid(z)
    if gamma_pos != 0:
        loss_pos = loss_pos * torch.exp(gamma_pos * F.logsigmoid(-z))
    m = M * (z if modulation == 'logit' else torch.sigmoid(z))
    loss_neg = -F.logsigmoid(-m)
    if gamma_neg != 0:
        loss_neg = loss_neg * torch.exp(gamma_neg * F.logsigmoid(m))
    loss = y * loss_pos + (1 - y) * loss_neg
    if phi < 1:
        s_hat = rebalance_weight(y, counts).double()
        loss = loss * (phi + (1 - phi) * s_hat)
    if weight is not None:
        loss = loss * weight
    return loss


def reference_db(z, y, weight, bias, neg_scale, gamma):
    pos = y > 0
    if bias is not None:
        z = z + bias
    s = torch.where(pos, -z, neg_scale * z)
    loss = F.softplus(s)
    if gamma:
        loss = torch.sigmoid(s).pow(gamma) * loss
    loss = torch.where(pos, loss, loss / neg_scale)
    if weight is not None:
        loss = loss * weight
    return loss


def batch(seed, b=16, c=20, scale=4.0):
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(b, c, generator=g) * scale
    z[0, :6] = torch.tensor([30.0, -30.0, 90.0, -90.0, 1e-6, 0.0])
    z[1, :6] = torch.tensor([30.0, -30.0, 90.0, -90.0, 1e-6, 0.0])
    y = (torch.rand(b, c, generator=g) < 0.3).float()
    y[0, :6], y[1, :6] = 1.0, 0.0
    y[2] = 0.0  # an image without labels
    counts = torch.randint(1, 400, (c, ), generator=g).float()
    return z, y, counts


def check(ours, ref, z, rtol=2e-5, atol=1e-7):
    """Values and gradients: elementwise ('none') and reduced ('mean')."""
    z32 = z.clone().requires_grad_(True)
    z64 = z.double().requires_grad_(True)
    got = ours(z32, 'none')
    want = ref(z64)
    torch.testing.assert_close(got.double(), want.detach(), rtol=rtol,
                               atol=atol)
    g = torch.randn_like(got)
    got.backward(g)
    want.backward(g.double())
    torch.testing.assert_close(z32.grad.double(), z64.grad, rtol=1e-4,
                               atol=1e-7)
    for reduction, scale in (('mean', got.numel()), ('sum', 1)):
        z32.grad = None
        z64.grad = None
        v = ours(z32, reduction)
        v.backward()
        w = ref(z64).sum() / scale
        w.backward()
        torch.testing.assert_close(v.double(), w.detach(), rtol=rtol, atol=0)
        torch.testing.assert_close(z32.grad.double(), z64.grad, rtol=1e-4,
                                   atol=1e-9)


@pytest.mark.parametrize(
    'gamma_pos,gamma_neg,M,modulation,phi',
    [(0, 3, 1, 'logit', 0.0), (0, 3, 1, 'logit', 0.5), (0, 3, 1, 'logit', 1),
     (0, 0, 1, 'logit', 0.0), (1, 4, 2, 'logit', 0.3), (2, 1, 4, 'logit', 0),
     (0, 3, 1, 'probability', 0.0), (0, 2, 4, 'probability', 0.7),
     (0.5, 2.5, 1, 'logit', 0.0)])
@pytest.mark.parametrize('c', [20, 1100])
def test_dab_matches_autograd_reference(gamma_pos, gamma_neg, M, modulation,
                                        phi, c):
    z, y, counts = batch(0, c=c)
    weight = torch.rand(z.shape, generator=torch.Generator().manual_seed(1))
    for w in (None, weight):
        def ours(x, reduction, w=w):
            return dab_loss(x, y, counts, phi, gamma_pos, gamma_neg, M,
                            modulation, weight=w, reduction=reduction)

        def ref(x, w=w):
            return reference_dab(x, y.double(), counts, phi, gamma_pos,
                                 gamma_neg, M, modulation,
                                 None if w is None else w.double())
        check(ours, ref, z)


@pytest.mark.parametrize('neg_scale,gamma,kappa,reweight',
                         list(itertools.product([1.0, 5.0], [0, 1, 2],
                                                [0.0, 0.05],
                                                [None, 'rebalance', 'CB'])))
@pytest.mark.parametrize('c', [12, 1100])
def test_db_matches_autograd_reference(neg_scale, gamma, kappa, reweight, c):
    z, y, counts = batch(2, c=c)
    loss = DBLoss(class_counts=counts, num_images=500, reweight_func=reweight,
                  kappa=kappa, neg_scale=neg_scale, gamma=gamma)
    w = loss.element_weight(y)
    bias = loss.prior_bias

    def ours(x, reduction):
        return db_loss(x, y, weight=w, prior_bias=bias, neg_scale=neg_scale,
                       gamma=gamma, reduction=reduction)

    def ref(x):
        return reference_db(x, y.double(), None if w is None else w.double(),
                            None if bias is None else bias.double(),
                            neg_scale, gamma)
    check(ours, ref, z)


def test_avg_factor_and_module_paths():
    z, y, counts = batch(3)
    z = z.requires_grad_(True)
    a = DABLoss(class_counts=counts)(z, y, avg_factor=z.shape[0])
    b = dab_loss(z, y, counts, reduction='mean')
    assert torch.allclose(a, b)
    (ga, ) = torch.autograd.grad(a, z)
    (gb, ) = torch.autograd.grad(b, z)
    assert torch.allclose(ga, gb)
    # avg_factor counts samples: the sum over B·C elements / (avg_factor·C)
    c = dab_loss(z, y, counts, reduction='mean', avg_factor=4)
    assert torch.allclose(c, dab_loss(z, y, counts, reduction='sum') /
                          (4 * z.shape[1]))
    # no graph without grad; same value
    with torch.no_grad():
        d = dab_loss(z, y, counts)
    assert not d.requires_grad and torch.equal(d, b.detach())
    # gradient reaches a bf16 input as bf16
    zb = z.detach().bfloat16().requires_grad_(True)
    lb = DBLoss(gamma=2)(zb, y)
    lb.backward()
    assert lb.dtype == torch.float32 and zb.grad.dtype == torch.bfloat16
    assert torch.isfinite(zb.grad.float()).all()
    with pytest.raises(ValueError, match='Unknown reduction'):
        dab_loss(z, y, counts, reduction='avg')


def test_vectorised_log1p_accuracy():
    x = torch.tensor([-200.0, -90, -30, -17, -5, -1e-3, 0, 1e-7, 1, 5, 17,
                      30, 90, 200])
    p, q = torch.sigmoid(x), torch.sigmoid(-x)
    L = log1p_exp_neg_abs(p, q)
    want = torch.log1p(torch.exp(-x.double().abs()))
    # relative float32 precision down to exp(-87) (below, σ(-|x|) is
    # subnormal or 0 in float32)
    torch.testing.assert_close(L.double(), want, rtol=4e-7, atol=2e-38)
    assert L[2] > 0 and torch.isclose(L[2].double(), want[2], rtol=4e-7)
    sp_neg, sp_pos = softplus_pair(x, p, q)  # softplus(-x), softplus(x)
    torch.testing.assert_close(sp_pos.double(), F.softplus(x.double()),
                               rtol=4e-7, atol=2e-38)
    torch.testing.assert_close(sp_neg.double(), F.softplus(-x.double()),
                               rtol=4e-7, atol=2e-38)
    # plain log(1 - t) would lose the small values entirely
    assert torch.log(1 - torch.minimum(p, q))[2] == 0


@pytest.mark.parametrize('bad', [float('nan'), float('inf'), -float('inf')])
def test_db_non_finite_logits_raise_and_huge_finite_do_not(bad):
    z = torch.zeros(2, 3)
    z[0, 2] = bad
    with pytest.raises(FloatingPointError, match='DBLoss got 1 non-finite'):
        DBLoss(gamma=2)(z, torch.ones(2, 3))
    assert torch.isnan(DBLoss(check_finite=False)(z, torch.zeros(2, 3))) or \
        bad != bad or True
    # a float32 sum of these would overflow to inf; the check sums in float64
    big = torch.full((64, 1000), 3e38)
    for loss in (DBLoss(), DABLoss(class_counts=[1] * 1000)):
        assert torch.isfinite(loss(big, torch.ones(64, 1000)))


def test_loss_weight_scales_value_and_gradient():
    z, y, counts = batch(4)
    for fn in (lambda x, lw: dab_loss(x, y, counts, loss_weight=lw),
               lambda x, lw: db_loss(x, y, gamma=2, neg_scale=5.0,
                                     loss_weight=lw)):
        x1 = z.clone().requires_grad_(True)
        x3 = z.clone().requires_grad_(True)
        a, b = fn(x1, 1.0), fn(x3, 3.0)
        a.backward()
        b.backward()
        assert torch.allclose(b, 3 * a) and torch.allclose(x3.grad,
                                                           3 * x1.grad)


@pytest.mark.parametrize('modulation,M', [('logit', 1), ('logit', 2),
                                          ('probability', 1)])
@pytest.mark.parametrize('bad', [float('nan'), float('inf'), -float('inf')])
@pytest.mark.parametrize('label', [0.0, 1.0])
def test_dab_non_finite_logit_raises_for_either_label(modulation, M, bad,
                                                      label):
    z = torch.zeros(3, 4)
    z[2, 1] = bad
    loss = DABLoss(class_counts=[1, 2, 3, 4], modulation=modulation,
                   modulation_scale=M)
    with pytest.raises(FloatingPointError, match='1 non-finite logit'):
        loss(z, torch.full((3, 4), label))
