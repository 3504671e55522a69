import os
import socket
from unittest.mock import Mock

import pytest
import torch
import torch.distributed as dist
import torch.nn as nn
from mmengine.model import BaseModel
from mmengine.runner import EpochBasedTrainLoop, IterBasedTrainLoop, Runner
from torch.utils.data import Dataset

from dab_mm.engine import LabelStatsHook, CPUCompatibleDDP, PhiScheduleHook
from dab_mm.engine.hooks import find_dab_losses, phi_value
from dab_mm.evaluation import LongTailMAP
from dab_mm.models import DABLoss


class TwoLossModel(nn.Module):
    def __init__(self):
        super().__init__()
        self.head = nn.Module()
        self.head.loss_module = DABLoss(class_counts=[1, 2])
        self.aux = nn.ModuleList([nn.Linear(2, 2), DABLoss(class_counts=[1, 2])])


def mock_runner(model, loop_cls, epoch=0, max_epochs=10, it=0, max_iters=100):
    runner = Mock()
    runner.model = model
    runner.train_loop = Mock(spec=loop_cls)
    runner.epoch, runner.max_epochs = epoch, max_epochs
    runner.iter, runner.max_iters = it, max_iters
    return runner


@pytest.mark.parametrize('e,expected', [(0, 1.0), (1, 0.99), (5, 0.75),
                                        (9, 0.19), (10, 0.0)])
def test_phi_per_epoch_mock(e, expected):
    model = TwoLossModel()
    hook = PhiScheduleHook()
    runner = mock_runner(model, EpochBasedTrainLoop, epoch=e, max_epochs=10)
    hook.before_train(runner)
    hook.before_train_iter(runner, 0)
    assert [m.phi for m in find_dab_losses(model)] == pytest.approx(
        [expected, expected])
    runner.message_hub.update_scalar.assert_called_with('train/phi',
                                                        pytest.approx(expected))


def test_phi_per_iteration_mock():
    model = TwoLossModel()
    hook = PhiScheduleHook()
    runner = mock_runner(model, IterBasedTrainLoop, it=30, max_iters=120)
    hook.before_train(runner)
    assert hook.by_epoch is False
    hook.before_train_iter(runner, 0)
    assert model.head.loss_module.phi == pytest.approx(1 - 0.25**2)
    forced = PhiScheduleHook(by_epoch=True)
    runner = mock_runner(model, IterBasedTrainLoop, epoch=1, max_epochs=2)
    forced.before_train(runner)
    forced.before_train_iter(runner, 0)
    assert model.head.loss_module.phi == pytest.approx(0.75)


def test_phi_value_clips():
    assert phi_value(0, 0) == 0.0
    assert phi_value(12, 10) == 0.0


def _free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def test_hook_finds_losses_through_cpu_ddp_wrapper():
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(_free_port()))
    dist.init_process_group('gloo', rank=0, world_size=1)
    try:
        model = TwoLossModel()
        wrapped = CPUCompatibleDDP(module=model, device_ids=[0],
                                   broadcast_buffers=False)
        hook = PhiScheduleHook()
        runner = mock_runner(wrapped, EpochBasedTrainLoop, epoch=2,
                             max_epochs=4)
        hook.before_train(runner)
        hook.before_train_iter(runner, 0)
        assert len(hook._losses) == 2
        assert model.aux[1].phi == pytest.approx(0.75)
    finally:
        dist.destroy_process_group()


# ---------------------------------------------------------------- real Runner
class ToyData(Dataset):
    """16 samples of 4 features, 3 classes with counts [12, 5, 2]."""
    metainfo = dict(classes=('a', 'b', 'c'))

    def __init__(self):
        g = torch.Generator().manual_seed(0)
        self.x = torch.randn(16, 4, generator=g)
        self.y = torch.zeros(16, 3)
        self.y[:12, 0] = 1
        self.y[3:8, 1] = 1
        self.y[14:, 2] = 1

    def __len__(self):
        return 16

    def get_cat_ids(self, i):
        return torch.nonzero(self.y[i]).flatten().tolist()

    def __getitem__(self, i):
        return dict(inputs=self.x[i], labels=self.y[i])


class ToyModel(BaseModel):
    def __init__(self, num_classes=3):
        super().__init__()
        self.head = nn.Linear(4, num_classes)
        self.head.num_classes = num_classes
        self.loss = DABLoss()

    def forward(self, inputs, labels, mode='tensor'):
        logits = self.head(inputs)
        if mode == 'loss':
            return dict(loss=self.loss(logits, labels))
        return logits


class PhiRecorder:
    """Records train/phi and the loss's φ at each epoch's first iteration."""

    def __init__(self):
        self.seen = {}

    def hook(self):
        from mmengine.hooks import Hook
        seen = self.seen

        class _Rec(Hook):
            priority = 'LOW'

            def before_train_iter(self, runner, batch_idx, data_batch=None):
                if batch_idx == 0:
                    seen[runner.epoch] = (
                        runner.message_hub.get_scalar('train/phi').current(),
                        runner.model.loss.phi)
        return _Rec()


def make_runner(work_dir, recorder, max_epochs=4, resume=False, model=None):
    return Runner(
        model=model or ToyModel(),
        work_dir=str(work_dir),
        train_dataloader=dict(dataset=ToyData(), batch_size=4,
                              sampler=dict(type='DefaultSampler', seed=0),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        train_cfg=dict(by_epoch=True, max_epochs=max_epochs),
        custom_hooks=[LabelStatsHook(), PhiScheduleHook(), recorder.hook()],
        default_hooks=dict(checkpoint=dict(type='CheckpointHook', interval=1)),
        resume=resume,
        experiment_name=f'exp_{resume}_{os.getpid()}_{id(recorder)}',
        randomness=dict(seed=0),
    )


def test_real_runner_phi_per_epoch_and_resume(tmp_path):
    rec = PhiRecorder()
    runner = make_runner(tmp_path, rec)
    runner.train()
    expected = {e: 1 - (e / 4)**2 for e in range(4)}
    assert {e: v[0] for e, v in rec.seen.items()} == pytest.approx(expected)
    assert {e: v[1] for e, v in rec.seen.items()} == pytest.approx(expected)
    # counts came from the training set as loaded
    assert runner.model.loss.class_counts.tolist() == [12, 5, 2]

    # resume from epoch 2's checkpoint: epochs 2 and 3 see the same φ
    os.remove(tmp_path / 'epoch_3.pth')
    os.remove(tmp_path / 'epoch_4.pth')
    (tmp_path / 'last_checkpoint').write_text(str(tmp_path / 'epoch_2.pth'))
    rec2 = PhiRecorder()
    make_runner(tmp_path, rec2, resume=True).train()
    assert sorted(rec2.seen) == [2, 3]
    for e in (2, 3):
        assert rec2.seen[e] == pytest.approx(rec.seen[e])


def test_class_counts_hook_num_classes_mismatch(tmp_path):
    runner = make_runner(tmp_path, PhiRecorder(), model=ToyModel(num_classes=5))
    with pytest.raises(ValueError, match=r'head\.num_classes is 5.*3 classes'):
        runner.train()


def test_class_counts_hook_sets_metrics():
    metric = LongTailMAP()
    runner = Mock()
    runner.model = nn.Module()
    runner._val_loop = Mock(spec=EpochBasedTrainLoop)  # a BaseLoop
    runner._val_loop.dataloader = Mock(dataset=ToyData())
    runner._val_loop.evaluator = Mock(metrics=[metric])
    runner._test_loop = None
    runner._train_loop = Mock(spec=EpochBasedTrainLoop)
    runner._train_loop.dataloader = Mock(dataset=ToyData())
    LabelStatsHook().before_run(runner)
    assert metric.class_counts.tolist() == [12, 5, 2]
