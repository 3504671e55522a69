"""EfficientNetLite(feature_cache=...): at evaluation the frozen blocks'
output is read back instead of recomputed, with the very same result."""
import copy
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from dab_mm.models.backbones import EfficientNetLite
from dab_mm.models.backbones.feature_cache import FeatureCache, input_key
from tests.fake_data import REPO, make_tiny_fd_mlt


def pair(cache):
    torch.manual_seed(0)
    plain = EfficientNetLite(pretrained=False, frozen_blocks=8).eval()
    cached = EfficientNetLite(pretrained=False, frozen_blocks=8,
                              feature_cache=cache)
    cached.load_state_dict(plain.state_dict())
    return plain, cached.eval()


@pytest.mark.parametrize('where', ['memory', 'folder'])
def test_same_output_and_hits(where, tmp_path):
    plain, cached = pair(True if where == 'memory' else str(tmp_path))
    x = torch.randn(6, 3, 64, 96)
    with torch.no_grad():
        ref = plain(x)[0]
        first = cached(x)[0]
        assert (cached.feature_cache.hits, cached.feature_cache.misses) == (0, 6)
        second = cached(x)[0]
        assert (cached.feature_cache.hits, cached.feature_cache.misses) == (6, 6)
        # a batch with 2 known and 2 new inputs: only the new ones computed
        mixed = torch.cat([x[:2], torch.randn(2, 3, 64, 96)])
        out = cached(mixed)[0]
        assert (cached.feature_cache.hits, cached.feature_cache.misses) == (8, 8)
        ref_mixed = plain(mixed)[0]
    assert torch.equal(first, ref) and torch.equal(second, ref)
    torch.testing.assert_close(out, ref_mixed, rtol=0, atol=1e-5)
    if where == 'folder':  # one file per entry, under the weights' digest
        files = glob.glob(str(tmp_path / '*' / '*' / '*.npy'))
        assert len(files) == 8
        assert osp.basename(files[0])[:2] == osp.basename(osp.dirname(files[0]))


def test_new_frozen_weights_do_not_read_old_entries(tmp_path):
    plain, cached = pair(str(tmp_path))
    x = torch.randn(3, 3, 64, 64)
    with torch.no_grad():
        cached(x)
        state = copy.deepcopy(plain.state_dict())
        state['blocks.0._project_conv.weight'] += 0.5  # a frozen block
        plain.load_state_dict(state)
        cached.load_state_dict(state)  # in eval mode: the digest is redone
        out = cached(x)[0]
        assert cached.feature_cache.misses == 6  # all computed again
        assert torch.equal(out, plain(x)[0])


def test_not_used_while_training_or_with_gradients(tmp_path):
    plain, cached = pair(str(tmp_path))
    x = torch.randn(2, 3, 64, 64)
    cached(x)  # eval mode, gradients on
    cached.train()
    with torch.no_grad():
        cached(x)
    assert cached.feature_cache.hits == cached.feature_cache.misses == 0


def test_key_is_the_exact_content():
    x = torch.zeros(3, 4, 4)
    y = x.clone()
    y[0, 0, 0] = 1e-7
    assert input_key(x) == input_key(x.clone())
    assert input_key(x) != input_key(y)
    assert input_key(x) != input_key(x.double())
    assert input_key(x) != input_key(x.reshape(3, 2, 8))
    cache = FeatureCache(None)
    assert cache.get('ns', [input_key(x)]) == [None]


def test_needs_frozen_blocks():
    with pytest.raises(ValueError, match='feature_cache needs frozen blocks'):
        EfficientNetLite(pretrained=False, frozen_blocks=-1, feature_cache=True)


def test_validation_with_cache_equals_without(tmp_path):
    """A config's validation through the Runner: cache read twice, then no
    cache -- the same metrics each time (ImageNet weights)."""
    root = str(tmp_path / 'fd')
    make_tiny_fd_mlt(root)
    cfg = Config.fromfile(osp.join(REPO, 'configs/erm/erm_effl0_fd_mlt.py'))
    cfg.work_dir = str(tmp_path / 'work')
    cfg.model.backbone.feature_cache = str(tmp_path / 'cache')
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        cfg[name].update(num_workers=0, persistent_workers=False, batch_size=8)
        cfg[name].dataset.data_root = root
    cfg.val_dataloader.dataset.indices = 40
    cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=2,
                         val_interval=100)
    cfg.randomness = dict(seed=0)
    runner = Runner.from_cfg(cfg)
    runner.train()  # ends with a validation: the cache is filled
    backbone = runner.model.backbone
    assert (backbone.feature_cache.hits, backbone.feature_cache.misses) == (0, 40)
    first = runner.val_loop.run()
    second = runner.val_loop.run()
    assert (backbone.feature_cache.hits, backbone.feature_cache.misses) == (80, 40)
    backbone.feature_cache = None
    third = runner.val_loop.run()
    for key in first:
        assert first[key] == second[key] == third[key], key


def test_cache_train_same_outputs_and_gradients(tmp_path):
    """While training (trained blocks in train mode, gradients on), the
    frozen blocks' output read from the cache gives the same outputs and
    the same gradients as computing it."""
    torch.manual_seed(0)
    plain = EfficientNetLite(pretrained=False, frozen_blocks=8,
                             drop_path_rate=0.0)
    cached = EfficientNetLite(pretrained=False, frozen_blocks=8,
                              drop_path_rate=0.0,
                              feature_cache=str(tmp_path), cache_train=True)
    cached.load_state_dict(plain.state_dict())
    plain.train()
    cached.train()
    x = torch.randn(4, 3, 64, 64)
    for step in range(2):  # a miss, then a hit
        outs, grads = [], []
        for model in (plain, cached):
            model.zero_grad()
            out = model(x)[0]
            out.square().mean().backward()
            outs.append(out.detach())
            grads.append([p.grad.clone() for p in model.parameters()
                          if p.requires_grad])
        assert torch.equal(outs[0], outs[1])
        assert all(torch.equal(a, b) for a, b in zip(*grads))
    assert (cached.feature_cache.hits, cached.feature_cache.misses) == (4, 4)
    # an input that takes a gradient is never served from the cache
    cached(x.clone().requires_grad_())
    assert cached.feature_cache.misses == 4 and cached.feature_cache.hits == 4
    with pytest.raises(ValueError, match='cache_train needs a feature_cache'):
        EfficientNetLite(pretrained=False, frozen_blocks=8, cache_train=True)


def test_autocast_entries_are_kept_apart(tmp_path):
    """Entries written under mixed precision are not read without it (and
    the other way round): autocast changes the frozen blocks' output."""
    plain, cached = pair(str(tmp_path))
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        cached(x)
        with torch.autocast('cpu', dtype=torch.bfloat16):
            amp_out = cached(x)[0]
            assert cached.feature_cache.misses == 4  # not the fp32 entries
            ref = plain(x)[0]
        assert cached(x)[0].dtype == torch.float32
    assert cached.feature_cache.hits == 2
    torch.testing.assert_close(amp_out.float(), ref.float())
    assert len({osp.basename(osp.dirname(osp.dirname(p))) for p in glob.glob(
        str(tmp_path / '*' / '*' / '*.npy'))}) == 2
