"""DABLoss and DBLoss on a CUDA device: values and gradients against the
CPU in float64, no host-device synchronisation per step, and the
asynchronous finite check. Skipped without a GPU (CI has none); the same
checks, run as a script on an H200, are recorded in docs/speed.md."""
import pytest
import torch

from dab_mm.models.losses import DABLoss, DBLoss

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason='needs a CUDA device')


def make(name, counts):
    if name == 'DABLoss':
        return DABLoss(class_counts=counts, phi=0.5, epsilon=0.3)
    return DBLoss(class_counts=counts, num_images=2000,
                  reweight_func='rebalance', kappa=0.05, neg_scale=5.0,
                  gamma=2.0, loss_weight=2.0)


@pytest.mark.parametrize('name', ['DABLoss', 'DBLoss'])
@pytest.mark.parametrize('c', [20, 80, 1000, 10000])
def test_cuda_float32_matches_cpu_float64(name, c):
    g = torch.Generator().manual_seed(c)
    z = torch.randn(64, c, generator=g) * 3
    y = (torch.rand(64, c, generator=g) < 0.1).float()
    counts = torch.randint(1, 1000, (c, ), generator=g).tolist()
    zc = z.clone().cuda().requires_grad_(True)
    value = make(name, counts).cuda()(zc, y.cuda())
    value.backward()
    z64 = z.clone().double().requires_grad_(True)
    ref = make(name, counts)(z64, y.double())
    ref.backward()
    assert abs(value.item() - ref.item()) <= 1e-6 * abs(ref.item())
    err = (zc.grad.double().cpu() - z64.grad).abs().max()
    assert err <= 1e-5 * z64.grad.abs().max()


@pytest.mark.parametrize('name', ['DABLoss', 'DBLoss'])
def test_no_host_sync_per_step(name):
    """Any synchronising call inside the loss would raise here."""
    c = 80
    loss = make(name, list(range(1, c + 1))).cuda()
    z = torch.randn(64, c, device='cuda')
    y = (torch.rand(64, c, device='cuda') < 0.1).float()
    for _ in range(3):  # warm-up: the pinned flag buffer, the kernels
        loss(z.clone().requires_grad_(True), y).backward()
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode('error')
    try:
        for _ in range(200):
            loss(z.clone().requires_grad_(True), y).backward()
    finally:
        torch.cuda.set_sync_debug_mode('default')
    torch.cuda.synchronize()
    loss._finite_check.poll()  # every flag finite: nothing raised


@pytest.mark.parametrize('name', ['DABLoss', 'DBLoss'])
@pytest.mark.parametrize('bad', ['nan', 'inf'])
def test_non_finite_logit_raises_asynchronously(name, bad):
    """A bad logit at step 10 raises at a later call (the H200 run: step
    11), or at the latest once the device has caught up."""
    c = 80
    loss = make(name, list(range(1, c + 1))).cuda()
    y = (torch.rand(64, c, device='cuda') < 0.1).float()
    with pytest.raises(FloatingPointError, match='found asynchronously'):
        for step in range(30):
            z = torch.randn(64, c, device='cuda')
            if step == 10:
                z[3, 7] = float(bad)
            loss(z.requires_grad_(True), y).backward()
        torch.cuda.synchronize()
        loss._finite_check.poll()
