import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from sklearn.metrics import average_precision_score

from dab_mm.evaluation import LongTailMAP
from mmpretrain.structures import DataSample

COUNTS = [150, 100, 99, 20, 19, 3, 400, 55]  # head 0,1,6  middle 2,3,7  tail 4,5
GROUPS = {'head': [0, 1, 6], 'middle': [2, 3, 7], 'tail': [4, 5]}


def random_data(n=120, c=8, seed=0, ties=True):
    rng = np.random.default_rng(seed)
    labels = (rng.random((n, c)) < 0.3).astype(np.int64)
    scores = rng.random((n, c))
    if ties:  # quantise so that many scores tie
        scores = np.round(scores * 6) / 6
    return scores, labels


@pytest.mark.parametrize('ties', [False, True])
def test_average_precision_equals_sklearn(ties):
    scores, labels = random_data(ties=ties)
    ap = LongTailMAP.average_precision(scores, labels)
    for c in range(labels.shape[1]):
        assert ap[c] == pytest.approx(
            average_precision_score(labels[:, c], scores[:, c]), abs=1e-12)


@pytest.mark.parametrize('n,c,chunk', [(1, 3, 1 << 22), (7, 5, 8),
                                        (300, 37, 1000), (2000, 12, 1 << 22)])
def test_average_precision_bit_for_bit_sklearn(n, c, chunk):
    """Exactly scikit-learn's floats (==, not approx), with ties, constant
    scores, a single positive, float32 scores and chunked sorting."""
    rng = np.random.default_rng(n * 100 + c)
    labels = (rng.random((n, c)) < 0.2).astype(np.int64)
    labels[rng.integers(n), 0] = 1  # class 0 has a positive
    scores = rng.random((n, c)).astype(np.float32)
    scores[:, 1 % c] = np.round(scores[:, 1 % c] * 3) / 3  # heavy ties
    scores[:, 2 % c] = 0.5  # one tied run
    ap = LongTailMAP.average_precision(scores, labels, chunk_elements=chunk)
    for k in range(c):
        if labels[:, k].any():
            assert ap[k] == average_precision_score(
                labels[:, k], scores[:, k].astype(np.float64)), k
        else:
            assert np.isnan(ap[k])


@pytest.mark.parametrize('dtype', [np.float32, np.float64])
def test_average_precision_signs_zeros_and_extremes(dtype):
    """Negative scores, -0.0 tied with +0.0 (one threshold for
    scikit-learn), the largest and smallest floats: the float32 key sort
    and the float64 argsort both give scikit-learn's floats."""
    rng = np.random.default_rng(5)
    n, c = 400, 6
    labels = (rng.random((n, c)) < 0.25).astype(np.int64)
    labels[0] = 1
    info = np.finfo(dtype)
    pool = np.array([-0.0, 0.0, -1.5, 1.5, -3.0, 2.0, info.max, -info.max,
                     info.tiny, -info.tiny, info.eps], dtype=dtype)
    scores = rng.choice(pool, size=(n, c)).astype(dtype)
    scores[:, 5] = rng.standard_normal(n).astype(dtype)  # negative values
    assert (np.signbit(scores) & (scores == 0)).any()  # -0.0 is there
    ap = LongTailMAP.average_precision(scores, labels, chunk_elements=900)
    for k in range(c):
        assert ap[k] == average_precision_score(
            labels[:, k], scores[:, k].astype(np.float64)), k


def test_class_without_positive_is_nan_internally():
    scores, labels = random_data()
    labels[:, 3] = 0
    ap = LongTailMAP.average_precision(scores, labels)
    assert np.isnan(ap[3]) and not np.isnan(np.delete(ap, 3)).any()


def _samples(scores, labels, use_score):
    out = []
    for s, y in zip(scores, labels):
        ds = DataSample().set_pred_score(torch.tensor(s, dtype=torch.float32))
        if use_score:
            ds.set_gt_score(torch.tensor(y, dtype=torch.float32))
        else:
            ds.set_gt_label(torch.tensor(np.flatnonzero(y)))
        out.append(ds.to_dict())
    return out


@pytest.mark.parametrize('use_score', [False, True])
def test_evaluator_groups_equal_sklearn(use_score):
    scores, labels = random_data(n=90, seed=3)
    scores = scores.astype(np.float32).astype(np.float64)
    labels[:, 5] = 0  # tail class with no positive: excluded, not AP = 0
    evaluator = Evaluator(dict(type='mmpretrain.LongTailMAP', class_counts=COUNTS))
    evaluator.dataset_meta = {'classes': [f'c{i}' for i in range(8)]}
    samples = _samples(scores, labels, use_score)
    for i in range(0, 90, 32):  # several batches
        evaluator.process(samples[i:i + 32])
    res = evaluator.evaluate(90)
    sk = {c: average_precision_score(labels[:, c], scores[:, c]) * 100
          for c in range(8) if c != 5}
    assert res['mlt/mAP'] == pytest.approx(np.mean(list(sk.values())))
    for g, idx in GROUPS.items():
        idx = [c for c in idx if c != 5]
        assert res[f'mlt/mAP_{g}'] == pytest.approx(
            np.mean([sk[c] for c in idx]))
    assert res['mlt/AP_classwise'][5] is None
    assert res['mlt/AP_classwise'][0] == pytest.approx(sk[0], abs=1e-4)


def test_thresholds_configurable_and_set_by_hook_api():
    scores, labels = random_data(seed=4)
    metric = LongTailMAP(head_thr=60, tail_thr=10)
    metric.set_class_counts(COUNTS)
    ap = LongTailMAP.average_precision(scores, labels)
    metric.results = [dict(pred_score=torch.tensor(s), gt=torch.tensor(y > 0))
                      for s, y in zip(scores, labels)]
    res = metric.compute_metrics(metric.results)
    # head >= 60: 0, 1, 2, 6; middle 10-59: 3, 4, 7; tail < 10: 5
    assert res['mAP_head'] == pytest.approx(ap[[0, 1, 2, 6]].mean() * 100)
    assert res['mAP_middle'] == pytest.approx(ap[[3, 4, 7]].mean() * 100)
    assert res['mAP_tail'] == pytest.approx(ap[[5]].mean() * 100)


def test_without_counts_reports_total_only():
    scores, labels = random_data(seed=5)
    metric = LongTailMAP()
    res = metric.compute_metrics(
        [dict(pred_score=torch.tensor(s), gt=torch.tensor(y > 0))
         for s, y in zip(scores, labels)])
    assert set(res) == {'mAP', 'AP_classwise', 'CP', 'CR', 'CF1', 'OP', 'OR',
                        'OF1'}
    metric = LongTailMAP(thr=None)
    res = metric.compute_metrics(
        [dict(pred_score=torch.tensor(s), gt=torch.tensor(y > 0))
         for s, y in zip(scores, labels)])
    assert set(res) == {'mAP', 'AP_classwise'}


def test_threshold_metrics_closed_form():
    # 3 images x 2 classes; thr 0.5: predicted [[1, 0], [1, 1], [0, 0]]
    scores = np.array([[0.9, 0.2], [0.5, 0.7], [0.1, 0.4]])
    labels = np.array([[1, 0], [0, 1], [1, 1]])
    # class 0: tp 1, predicted 2, positives 2 -> P 1/2, R 1/2
    # class 1: tp 1, predicted 1, positives 2 -> P 1,   R 1/2
    res = LongTailMAP.threshold_metrics(scores, labels, 0.5)
    assert res['CP'] == pytest.approx(75.0)
    assert res['CR'] == pytest.approx(50.0)
    assert res['CF1'] == pytest.approx(2 * 75 * 50 / 125)
    assert res['OP'] == pytest.approx(200 / 3)  # 2 tp of 3 predicted
    assert res['OR'] == pytest.approx(50.0)  # 2 tp of 4 positives
    assert res['OF1'] == pytest.approx(2 * (200 / 3) * 50 / (200 / 3 + 50))
    # nothing predicted anywhere: every value 0, no division by zero
    zero = LongTailMAP.threshold_metrics(scores, labels, 2.0)
    assert all(v == 0.0 for v in zero.values())


@pytest.mark.parametrize('chunk', [1 << 22, 7])
def test_threshold_metrics_equal_mmpretrain_multilabelmetric(chunk):
    """CP/CR, OP/OR/OF1 are mmpretrain's macro / micro precision, recall,
    F1 (a class without positives included), in row chunks or not."""
    from mmpretrain.evaluation import MultiLabelMetric
    scores, labels = random_data(n=200, seed=6)
    labels[:, 3] = 0  # a class without positives
    scores = scores.astype(np.float32)
    ours = LongTailMAP.threshold_metrics(scores, labels, 0.5, chunk)
    pred, target = torch.from_numpy(scores), torch.from_numpy(labels)
    p, r, f, _ = MultiLabelMetric.calculate(pred, target, thr=0.5,
                                            average='macro')
    assert ours['CP'] == pytest.approx(p.item(), rel=1e-5)
    assert ours['CR'] == pytest.approx(r.item(), rel=1e-5)
    p, r, f, _ = MultiLabelMetric.calculate(pred, target, thr=0.5,
                                            average='micro')
    assert ours['OP'] == pytest.approx(p.item(), rel=1e-5)
    assert ours['OR'] == pytest.approx(r.item(), rel=1e-5)
    assert ours['OF1'] == pytest.approx(f.item(), rel=1e-5)


def test_errors():
    with pytest.raises(ValueError, match='tail_thr'):
        LongTailMAP(head_thr=10, tail_thr=20)
    with pytest.raises(ValueError, match='NaN or inf'):
        LongTailMAP.average_precision(np.array([[np.nan]]), np.array([[1]]))
    metric = LongTailMAP(class_counts=[1, 2, 3])
    with pytest.raises(ValueError, match='num_classes'):
        metric.compute_metrics([dict(pred_score=torch.rand(2),
                                     gt=torch.tensor([True, False]))])
