"""Speed benchmarks of dab-mm's components, as ratios against a baseline
measured in the same run (so they hold across machines):

  python tools/analysis_tools/benchmark.py [--only metric] [--repeat 3]

Sections:
  metric  LongTailMAP.average_precision vs a scikit-learn
          average_precision_score loop over classes, at 5000 x 80 and
          20000 x 1000, on continuous float32 scores (as a model gives
          them) and on the same scores rounded to 1/1000 (ties), same
          values checked.
  loss    DABLoss and DBLoss (DB-Focal) forward + backward vs
          F.binary_cross_entropy_with_logits, batch 64, C = 20 / 80 / 1000 /
          10000 (ratio = loss time / BCE time; lower is better).
  step    one training step (forward, loss, backward, SGD update) of the
          DAB config vs the ERM config on the same model, batch and device
          (R18w32 at 64 px on FD-MLT; with --device cuda also R101 at
          448 px on COCO-MLT; --amp, --channels-last), measured alternately
          (ratio = DAB time / ERM time).
  data    LabelStats.from_dataset + ClassAwareSampler set-up and its first
          epoch stream ('dataset' length) on synthetic long-tailed labels
          of growing N x C (about 3 labels per image): time and peak
          memory allocated by them (tracemalloc, which numpy and scipy
          report to), each in a fresh process.

  threads (only when asked: --only threads; needs data/fd_mlt, built by
          make demo) tools/train.py on the demo's config for 2 epochs, in a
          fresh process each time, with OMP_NUM_THREADS left unset (the
          tool's default: half the cores) vs set to the number of cores
          (torch's own default), on an idle machine and beside one
          competing CPU-bound process (ratio = tool-default time /
          torch-default time; wall time of the whole tool, start-up
          included).

  cache   (only when asked: --only cache; needs data/voc_mlt_fd, built by
          tools/dataset_converters/build_mlt_fd.py voc) EfficientNetLite's
          frozen-feature cache on erm_effl0_voc_mlt_fd.py (ImageNet
          weights, the config's loaders): one validation pass (2000
          images) with the cache off vs reading a filled cache (same
          metrics checked; the filling pass as another row), and 10
          training steps (the config's batch, flip-only pipeline) with cache_train
          off vs reading a filled cache (same losses checked), and those
          steps with the backbone in NCHW vs channels_last (losses
          compared).

Each timing is the best of --repeat runs. Not a test: nothing here asserts a
speed; the output is recorded in the README with the command and commit.
"""
import argparse
import os
import os.path as osp
import platform
import sys
import time

import numpy as np

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)


def _commit():
    import subprocess
    try:
        out = subprocess.run(['git', 'rev-parse', '--short', 'HEAD'],
                             cwd=REPO, capture_output=True, text=True)
        dirty = subprocess.run(['git', 'status', '--porcelain', '-uno'],
                               cwd=REPO, capture_output=True, text=True)
        return out.stdout.strip() + (' (dirty)' if dirty.stdout.strip()
                                     else '')
    except OSError:
        return 'unknown'


def best_time(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return min(times), out


def bench_metric(repeat):
    """AP per class, LongTailMAP vs scikit-learn's loop: on continuous
    float32 scores, as a model outputs them (every score distinct), and on
    scores rounded to 1/1000 (at most 1001 distinct thresholds per class,
    many ties)."""
    from sklearn.metrics import average_precision_score

    from dab_mm.evaluation import LongTailMAP
    rows = []
    for n, c in ((5000, 80), (20000, 1000)):
        rng = np.random.default_rng(0)
        labels = (rng.random((n, c)) < 0.05).astype(np.int64)
        labels[0] = 1  # every class has a positive
        continuous = rng.random((n, c)).astype(np.float32)
        for kind, scores in (
                ('continuous float32 scores', continuous),
                ('scores rounded to 1/1000 (ties)',
                 np.round(continuous * 1000) / 1000)):

            def sk():
                return np.array([average_precision_score(labels[:, k],
                                                         scores[:, k])
                                 for k in range(c)])

            t_sk, ap_sk = best_time(sk, repeat)
            t_ours, ap = best_time(
                lambda: LongTailMAP.average_precision(scores, labels),
                repeat)
            same = ('yes' if np.array_equal(ap, ap_sk) else
                    f'within {np.abs(ap - ap_sk).max():.0e}')
            rows.append((f'LongTailMAP AP, {n} x {c}, {kind}', t_sk, t_ours,
                         same))
    return rows


def bench_loss(repeat, device='cpu'):
    import torch
    import torch.nn.functional as F

    from dab_mm.models.losses import DABLoss, DBLoss
    rows = []
    for c in (20, 80, 1000, 10000):
        g = torch.Generator().manual_seed(c)
        z = (torch.randn(64, c, generator=g) * 3).to(device)
        y = (torch.rand(64, c, generator=g) < 0.1).float().to(device)
        counts = torch.randint(1, 1000, (c, ), generator=g).tolist()
        dab = DABLoss(class_counts=counts, phi=0.5, epsilon=0.3)
        db = DBLoss(class_counts=counts, num_images=2000,
                    reweight_func='rebalance', kappa=0.05, neg_scale=5.0,
                    gamma=2.0, loss_weight=2.0)

        iters = max(20, 200000 // c)  # about the same work at every C

        def step(fn):
            def run():
                for _ in range(iters):
                    x = z.clone().requires_grad_(True)
                    fn(x).backward()
                if device != 'cpu':
                    torch.cuda.synchronize()
            return run

        t_bce, _ = best_time(step(
            lambda x: F.binary_cross_entropy_with_logits(x, y)), repeat)
        for name, loss in (('DABLoss', dab), ('DBLoss (DB-Focal)', db)):
            t, _ = best_time(step(lambda x, loss=loss: loss(x, y)), repeat)
            rows.append((f'{name} fwd+bwd, 64 x {c}', t_bce, t, None))
    return rows


_DATA_CHILD = '''
import sys, time, tracemalloc
import numpy as np
sys.path.insert(0, sys.argv[3])
n, c = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
# long-tailed: class k drawn with probability ~ 1 / (k + 1), 3 labels per
# image on average (Poisson, at least 1), held as per-image index slices
lengths = np.maximum(rng.poisson(3, n), 1)
p = 1.0 / np.arange(1, c + 1)
cols = rng.choice(c, size=int(lengths.sum()), p=p / p.sum())
starts = np.concatenate([[0], np.cumsum(lengths)])


class DS:
    metainfo = dict(classes=[str(i) for i in range(c)])

    def __len__(self):
        return n

    def get_cat_ids(self, i):
        return cols[starts[i]:starts[i + 1]]


from dab_mm.datasets import ClassAwareSampler, LabelStats
ds = DS()
tracemalloc.start()  # numpy and scipy report their buffers to it
t0 = time.perf_counter()
stats = LabelStats.from_dataset(ds)
sampler = ClassAwareSampler(ds, num_samples='dataset', seed=0)
first = next(iter(sampler))
t = time.perf_counter() - t0
peak = tracemalloc.get_traced_memory()[1]
print(t, peak / 2**20)
'''


def bench_data(repeat, sizes=((10000, 100), (30000, 300), (30000, 1000),
                              (300000, 10000), (1000000, 10000)),
               timeout=240):
    import subprocess
    rows = []
    for n, c in sizes:
        try:
            out = subprocess.run(
                [sys.executable, '-c', _DATA_CHILD, str(n), str(c), REPO], capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            rows.append((f'LabelStats + ClassAwareSampler, {n} x {c}',
                         float('nan'), float('nan'),
                         f'did not finish in {timeout} s'))
            continue
        if out.returncode != 0:
            rows.append((f'LabelStats + ClassAwareSampler, {n} x {c}',
                         float('nan'), float('nan'),
                         'failed: ' + (out.stderr.strip().splitlines() or
                                       [f'exit {out.returncode}'])[-1]))
            continue
        t, mem = map(float, out.stdout.split())
        rows.append((f'LabelStats + ClassAwareSampler, {n} x {c} '
                     f'(peak +{mem:.0f} MiB)', float('nan'), t, None))
    return rows


STEP_PAIRS = {
    'cpu': [('configs/erm/erm_r18w32_fd_mlt.py', 'configs/dab/dab_r18w32_fd_mlt.py')],
    'cuda': [('configs/erm/erm_r18w32_fd_mlt.py', 'configs/dab/dab_r18w32_fd_mlt.py'),
             ('configs/erm/erm_r101_coco_mlt.py', 'configs/dab/dab_r101_coco_mlt.py')],
}


def _step_runner(config, device, amp, channels_last, batch_size=None):
    """A model, optimiser wrapper and one fixed batch for ``config``:
    random images of the config's training size and random multi-hot
    labels, class counts of a long tail (speed does not depend on them)."""
    import torch
    from mmengine.config import Config
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample

    import dab_mm  # noqa: F401  (registers the components)
    from dab_mm.datasets import LabelStats
    cfg = Config.fromfile(osp.join(REPO, config))
    init_default_scope('mmpretrain')
    torch.manual_seed(0)
    # random weights: speed does not depend on them, and nothing downloads
    cfg.model.backbone.pop('init_cfg', None)
    model = MODELS.build(cfg.model)
    model.init_weights()
    num_classes = cfg.model.head.num_classes
    rng = np.random.default_rng(0)
    n = 5000
    counts = np.maximum((n / np.arange(1, num_classes + 1) ** 1.2), 2)
    labels = rng.random((n, num_classes)) < (counts / n)[None, :]
    labels[np.arange(n), rng.integers(0, num_classes, n)] = True
    stats = LabelStats.from_labels(labels)
    for m in model.modules():
        if hasattr(m, 'set_label_stats') and m is not model:
            m.set_label_stats(stats)
    model = model.to(device)
    if channels_last:
        model = model.to(memory_format=torch.channels_last)
    optim_cfg = dict(cfg.optim_wrapper)
    if amp:
        optim_cfg['type'] = 'AmpOptimWrapper'
        optim_cfg.setdefault('loss_scale', 'dynamic')
    optim_wrapper = build_optim_wrapper(model, optim_cfg)
    bs = batch_size or cfg.train_dataloader.batch_size
    size = None
    for t in cfg.train_dataloader.dataset.pipeline:
        for key in ('crop_size', 'scale'):
            if key in t:
                v = t[key]
                size = v if isinstance(v, int) else v[0]
    size = size or 224
    imgs = [torch.randint(0, 256, (3, size, size), dtype=torch.uint8)
            for _ in range(bs)]
    samples = [DataSample().set_gt_label(
        np.flatnonzero(labels[i]).tolist()) for i in range(bs)]
    batch = dict(inputs=imgs, data_samples=samples)
    model.train()

    def step():
        model.train_step(batch, optim_wrapper)
        if device != 'cpu':
            torch.cuda.synchronize()
    return step, bs, size


def bench_step(repeat, device='cpu', amp=False, channels_last=False,
               steps=5):
    """One training step (forward, loss, backward, SGD update) of ERM and
    of DAB on the same model, batch and device, measured alternately."""
    rows = []
    for erm_cfg, dab_cfg in STEP_PAIRS[device]:
        import contextlib
        import io
        import logging
        from mmengine.logging import MMLogger
        logger = MMLogger.get_current_instance()
        level = logger.level
        logger.setLevel(logging.WARNING)  # no init-weights report
        try:
            with contextlib.redirect_stdout(io.StringIO()):
                runners = {c: _step_runner(c, device, amp, channels_last)
                           for c in (erm_cfg, dab_cfg)}
        finally:
            logger.setLevel(level)
        for c in runners:  # warm-up (allocator, cuDNN autotune)
            for _ in range(2):
                runners[c][0]()
        best = {c: float('inf') for c in runners}
        for _ in range(repeat):
            for c, (step, _, _) in runners.items():
                t0 = time.perf_counter()
                for _ in range(steps):
                    step()
                best[c] = min(best[c], (time.perf_counter() - t0) / steps)
        _, bs, size = runners[dab_cfg]
        tag = (' AMP' if amp else '') + (' channels_last' if channels_last
                                         else '')
        rows.append((f'train step DAB vs ERM, {osp.basename(dab_cfg)}, '
                     f'batch {bs} at {size} px, {device}{tag} '
                     f'({bs / best[dab_cfg]:.1f} img/s)', best[erm_cfg],
                     best[dab_cfg], None))
    return rows


THREADS_CONFIG = 'configs/dab/dab_r18w32_fd_mlt.py'


def _train_seconds(env_threads, epochs, work_dir):
    """Wall time of tools/train.py on the demo config (None:
    OMP_NUM_THREADS unset, the tool's default)."""
    import subprocess
    env = {k: v for k, v in os.environ.items() if k != 'OMP_NUM_THREADS'}
    if env_threads is not None:
        env['OMP_NUM_THREADS'] = str(env_threads)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), THREADS_CONFIG,
         '--work-dir', work_dir, '--cfg-options', f'train_cfg.max_epochs='
         f'{epochs}', 'train_cfg.val_interval=1000', 'randomness.seed=0'],
        cwd=REPO, env=env, capture_output=True, text=True)
    if proc.returncode:
        raise SystemExit(proc.stdout[-2000:] + proc.stderr[-2000:])
    return time.perf_counter() - t0


def bench_threads(repeat, epochs=2):
    """Training with the tool's default threads vs torch's (one per core),
    idle and beside one competing CPU-bound process."""
    import multiprocessing
    import tempfile
    if not osp.isfile(osp.join(REPO, 'data', 'fd_mlt', 'annotations',
                               'train.json')):
        raise SystemExit('--only threads needs data/fd_mlt: run make demo '
                         '(or tools/dataset_converters/build_fd_mlt.py).')
    rows = []
    for load in (0, 1):
        busy = [multiprocessing.Process(target=_spin, daemon=True)
                for _ in range(load)]
        for p in busy:
            p.start()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                cores = os.cpu_count() or 1
                best = {cores: float('inf'), None: float('inf')}
                for _ in range(repeat):
                    for threads in best:  # alternately
                        best[threads] = min(best[threads], _train_seconds(
                            threads, epochs, osp.join(tmp, str(threads))))
        finally:
            for p in busy:
                p.terminate()
        rows.append((f'tools/train.py {osp.basename(THREADS_CONFIG)}, '
                     f'{epochs} epochs, its default OMP_NUM_THREADS='
                     f'{max(1, cores // 2)} vs torch\'s {cores}, '
                     + ('idle' if not load else
                        f'{load} competing CPU-bound process'),
                     best[cores], best[None], None))
    return rows


CACHE_CONFIG = osp.join(REPO, 'configs', 'erm', 'erm_effl0_voc_mlt_fd.py')


def bench_cache(repeat, steps=10):
    """Validation and training steps without and with the frozen blocks'
    cache."""
    import tempfile
    from mmengine.config import Config
    from mmengine.runner import Runner
    if not osp.isfile(osp.join(REPO, 'data', 'voc_mlt_fd', 'annotations',
                               'val.json')):
        raise SystemExit('--only cache needs data/voc_mlt_fd: run '
                         'tools/dataset_converters/build_mlt_fd.py voc '
                         'data/voc_mlt_fd.')
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Config.fromfile(CACHE_CONFIG)
        cfg.work_dir = tmp
        cfg.model.backbone.feature_cache = osp.join(tmp, 'cache')
        for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
            cfg[name].dataset.data_root = osp.join(REPO, 'data', 'voc_mlt_fd')
        cfg.log_level = 'WARNING'
        cfg.default_hooks.checkpoint.save_best = None  # no training here
        runner = Runner.from_cfg(cfg)
        runner.model.init_weights()  # the ImageNet weights
        backbone = runner.model.backbone
        cache = backbone.feature_cache
        t0 = time.perf_counter()
        filled = runner.val()
        t_fill = time.perf_counter() - t0
        plain, cached = float('inf'), float('inf')
        for _ in range(repeat):  # alternately
            backbone.feature_cache = None
            t0 = time.perf_counter()
            m_plain = runner.val()
            plain = min(plain, time.perf_counter() - t0)
            backbone.feature_cache = cache
            t0 = time.perf_counter()
            m_cached = runner.val()
            cached = min(cached, time.perf_counter() - t0)
        same = all(m_plain[k] == m_cached[k] == filled[k] for k in m_plain
                   if not isinstance(m_plain[k], list))
        n = len(runner.val_dataloader.dataset)
        what = (f'validation pass of {osp.basename(CACHE_CONFIG)} ({n} '
                f'images, {cfg.val_dataloader.num_workers} workers): '
                'feature_cache off vs')
        rows = [(what + ' a filled cache', plain, cached, same),
                (what + ' the pass that fills it', plain, t_fill, None)]

        # training steps: the same batches, from the same weights
        import copy
        import torch
        loader = iter(runner.build_dataloader(cfg.train_dataloader))
        batches = [next(loader) for _ in range(steps)]
        start = copy.deepcopy(runner.model.state_dict())
        optim = runner.build_optim_wrapper(cfg.optim_wrapper)
        runner.model.train()

        def train_steps(model, optim):
            """(seconds, losses) of the batches from the start weights."""
            model.load_state_dict(start)
            model.train()
            optim.optimizer.state.clear()
            torch.manual_seed(0)
            t0 = time.perf_counter()
            losses = [model.train_step(b, optim)['loss'].item()
                      for b in batches]
            return time.perf_counter() - t0, np.array(losses)

        def alternate(run_a, run_b):
            """Best time of each over --repeat runs, taken alternately, and
            the losses of each one's last run."""
            best, last = [float('inf'), float('inf')], [None, None]
            for _ in range(repeat):
                for i, run in enumerate((run_a, run_b)):
                    t, last[i] = run()
                    best[i] = min(best[i], t)
            return best, last[0], last[1]

        def with_cache(on):
            backbone.feature_cache = cache if on else None
            return train_steps(runner.model, optim)

        with_cache(True)  # fills the cache
        (t_off, t_on), l_off, l_on = alternate(lambda: with_cache(False),
                                               lambda: with_cache(True))
        bs = cfg.train_dataloader.batch_size
        rows.append((f'{steps} training steps of {osp.basename(CACHE_CONFIG)} '
                     f'(batch {bs}, {steps * bs / t_off:.0f} vs '
                     f'{steps * bs / t_on:.0f} img/s): cache_train off vs a '
                     'filled cache', t_off, t_on,
                     bool(np.array_equal(l_off, l_on))))

        # the same steps (filled cache) with the backbone in NCHW vs NHWC:
        # another model of the same config and weights, its own optimiser
        from mmengine.optim import build_optim_wrapper
        from mmpretrain.registry import MODELS
        layouts = []
        for cl in (False, True):
            mcfg = copy.deepcopy(cfg.model)
            mcfg.backbone.channels_last = cl
            mcfg.backbone.pretrained = False  # the weights come from start
            model = MODELS.build(mcfg)
            model.backbone.feature_cache = cache
            layouts.append((model, build_optim_wrapper(
                model, copy.deepcopy(cfg.optim_wrapper))))
        for layout in layouts:  # warm-up (and the NHWC cache entries)
            train_steps(*layout)
        (t_nchw, t_nhwc), l_nchw, l_nhwc = alternate(
            lambda: train_steps(*layouts[0]), lambda: train_steps(*layouts[1]))
        gap = np.abs(l_nhwc - l_nchw).max() / np.abs(l_nchw).max()
        rows.append((f'{steps} training steps as above, filled cache '
                     f'({steps * bs / t_nchw:.0f} vs '
                     f'{steps * bs / t_nhwc:.0f} img/s): backbone NCHW vs '
                     'channels_last', t_nchw, t_nhwc,
                     f'losses within {gap:.0e} (relative)'))
    return rows


def _spin():
    while True:
        pass


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('--only', nargs='+',
                        default=['metric', 'loss', 'data', 'step'],
                        choices=['metric', 'loss', 'data', 'step',
                                 'threads', 'cache'])
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'],
                        help='device of the loss and step sections')
    parser.add_argument('--amp', action='store_true',
                        help='step section: AmpOptimWrapper (GPU)')
    parser.add_argument('--channels-last', action='store_true',
                        help='step section: channels_last model')
    parser.add_argument('--repeat', type=int, default=3)
    parser.add_argument(
        '--threads', type=int, default=1,
        help='torch intra-op threads (default 1: timings of multi-threaded '
        'small kernels swing by 10x when other processes share the cores)')
    args = parser.parse_args(argv)
    import torch
    torch.set_num_threads(args.threads)
    print(f'# machine: {platform.processor() or platform.machine()}, '
          f'{os.cpu_count()} CPUs, Python {platform.python_version()}, '
          f'numpy {np.__version__}, torch {torch.__version__} '
          f'({args.threads} thread(s)), commit {_commit()}')
    print('| what | baseline (s) | dab-mm (s) | ratio | same values |')
    print('|---|---|---|---|---|')
    sections = dict(
        metric=bench_metric,
        loss=lambda r: bench_loss(r, args.device),
        data=bench_data,
        step=lambda r: bench_step(r, args.device, args.amp,
                                  args.channels_last),
        threads=bench_threads,
        cache=bench_cache)
    for name in args.only:
        for what, t_base, t_ours, same in sections[name](args.repeat):
            if name == 'loss':
                ratio = f'{t_ours / t_base:.2f}x of BCE'
            elif name == 'step':
                ratio = f'{t_ours / t_base:.3f}x of ERM'
            elif name == 'threads':
                ratio = f'{t_ours / t_base:.2f}x of torch\'s default'
            elif np.isnan(t_base):
                ratio = '—'
            else:
                ratio = f'{t_base / t_ours:.1f}x faster'
            check = '—' if same is None else (
                same if isinstance(same, str) else ('yes' if same else 'NO'))
            print(f'| {what} | {t_base:.3f} | {t_ours:.3f} | {ratio} | '
                  f'{check} |', flush=True)


if __name__ == '__main__':
    main()
