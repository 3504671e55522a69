"""dab_mm.analysis.results on synthetic tools/test.py outputs."""
import json
import pickle

import numpy as np
import pytest
import torch
from sklearn.metrics import average_precision_score

from dab_mm.analysis.results import (analyze_runs, ap_from_predictions,
                                     load_classwise_ap, parse_run_spec,
                                     write_analysis)


def fake_predictions(seed=0, n=40, c=4):
    rng = np.random.default_rng(seed)
    labels = rng.random((n, c)) < 0.3
    labels[:, 3] = False  # class 3: no positive in the test set
    scores = np.clip(labels * 0.3 + rng.random((n, c)), 0, 1)
    samples = [dict(pred_score=torch.tensor(s, dtype=torch.float32),
                    gt_label=torch.tensor(np.flatnonzero(y)), num_classes=c)
               for s, y in zip(scores, labels)]
    return samples, scores.astype(np.float32), labels


def test_ap_from_predictions_matches_sklearn():
    samples, scores, labels = fake_predictions()
    ap = ap_from_predictions(samples)
    for c in range(3):
        assert ap[c] == pytest.approx(
            average_precision_score(labels[:, c], scores[:, c]) * 100)
    assert np.isnan(ap[3])
    # gt_score (one-hot) gives the same
    for s, y in zip(samples, labels):
        del s['gt_label']
        s['gt_score'] = torch.tensor(y, dtype=torch.float32)
    np.testing.assert_allclose(ap_from_predictions(samples), ap)


def test_analyze_runs_groups_and_seeds(tmp_path):
    runs = {}
    for name, seeds in (('a', (0, 1)), ('b', (2, ))):
        runs[name] = []
        for seed in seeds:
            samples, _, _ = fake_predictions(seed)
            path = tmp_path / f'{name}{seed}.pkl'
            with open(path, 'wb') as f:
                pickle.dump(samples, f)
            runs[name].append(str(path))
    counts = [150, 50, 5, 3]  # head, middle, tail, tail (no positives)
    summary = analyze_runs(runs, counts)
    ap0 = load_classwise_ap(runs['a'][0])
    ap1 = load_classwise_ap(runs['a'][1])
    means = [(ap0[c] + ap1[c]) / 2 for c in range(3)]
    assert summary['a']['mAP_head'][0] == pytest.approx(means[0])
    assert summary['a']['mAP_tail'][0] == pytest.approx(means[2])
    assert summary['a']['mAP'][0] == pytest.approx(np.mean(means))
    assert summary['a']['mAP_head'][1] == pytest.approx(
        np.std([ap0[0], ap1[0]], ddof=1))
    assert summary['b']['seeds'] == [0]
    paths = write_analysis(summary, counts, ['w', 'x', 'y', 'z'],
                           str(tmp_path / 'out'))
    assert [p.rsplit('/', 1)[1] for p in paths] == [
        'summary.md', 'per_class.csv', 'ap_vs_count.png', 'group_map.png',
        'ap_gain.png']
    csv_lines = (tmp_path / 'out' / 'per_class.csv').read_text().splitlines()
    assert csv_lines[0] == 'class,train_count,group,AP_a,AP_b,gain_b'
    assert csv_lines[-1] == 'z,3,tail,,,'  # no AP for class z
    with pytest.raises(ValueError, match='4 classes, but the training set '
                       'has 3'):
        analyze_runs(runs, [1, 2, 3])


def test_metrics_file_and_errors(tmp_path):
    path = tmp_path / 'metrics.json'
    path.write_text(json.dumps({'mlt/mAP': 50.0,
                                'mlt/AP_classwise': [40.0, None, 60.0]}))
    ap = load_classwise_ap(str(path))
    assert ap[0] == 40.0 and np.isnan(ap[1]) and ap[2] == 60.0
    path.write_text(json.dumps({'multi-label/mAP': 50.0}))
    with pytest.raises(ValueError, match='without "mlt/AP_classwise"'):
        load_classwise_ap(str(path))
    with pytest.raises(FileNotFoundError, match='does not exist'):
        load_classwise_ap(str(tmp_path / 'nope.pkl'))
    with pytest.raises(ValueError, match=r'\[0\]: no "pred_score"'):
        ap_from_predictions([dict(gt_label=torch.tensor([0]))], 'x.pkl')


def test_parse_run_spec(tmp_path):
    assert parse_run_spec('dab=a/m.json,b/m.json') == ('dab',
                                                      ['a/m.json', 'b/m.json'])
    assert parse_run_spec('work/dab_s0/metrics.json') == (
        'dab_s0', ['work/dab_s0/metrics.json'])


def test_threshold_metrics_in_the_analysis(tmp_path):
    """CP ... OF1: computed from predictions at --thr, taken as recorded
    from metrics files; in summary.md, averaged over a run's files."""
    from dab_mm.evaluation import LongTailMAP
    paths, expect = [], []
    for seed in (0, 1):
        samples, scores, labels = fake_predictions(seed)
        path = tmp_path / f'p{seed}.pkl'
        with open(path, 'wb') as f:
            pickle.dump(samples, f)
        paths.append(str(path))
        expect.append(LongTailMAP.threshold_metrics(scores, labels, 0.6))
    summary = analyze_runs({'a': paths}, [150, 50, 5, 3], thr=0.6)
    for col in ('CP', 'CR', 'CF1', 'OP', 'OR', 'OF1'):
        assert summary['a'][col][0] == pytest.approx(
            (expect[0][col] + expect[1][col]) / 2)
    # a metrics file brings its recorded values; one without them, none
    rec = tmp_path / 'metrics.json'
    rec.write_text(json.dumps({'mlt/AP_classwise': [40.0, 50.0, 60.0, None],
                               'mlt/CF1': 33.0, 'mlt/OF1': 44.0}))
    old = tmp_path / 'old.json'
    old.write_text(json.dumps({'mlt/AP_classwise': [40.0, 50.0, 60.0, None]}))
    summary = analyze_runs({'rec': [str(rec)], 'old': [str(old)]},
                           [150, 50, 5, 3])
    assert summary['rec']['CF1'] == (33.0, 0.0)
    assert 'CF1' not in summary['old'] and 'CP' not in summary['rec']
    write_analysis(summary, [150, 50, 5, 3], list('wxyz'), str(tmp_path / 'o'))
    table = (tmp_path / 'o' / 'summary.md').read_text().splitlines()
    assert table[0] == '| method | seeds | mAP | head | middle | tail | CF1 ' \
        '| OF1 |'
    assert table[2].endswith('| 33.00 ± 0.00 | 44.00 ± 0.00 |')
    assert table[3].endswith('| — | — |')  # recorded before CP ... OF1
    write_analysis(summary, [150, 50, 5, 3], list('wxyz'), str(tmp_path / 'o'),
                   columns=['mAP', 'OF1'])
    table = (tmp_path / 'o' / 'summary.md').read_text().splitlines()
    assert table[0] == '| method | seeds | mAP | OF1 |'
    with pytest.raises(ValueError, match='unknown column.*F2'):
        write_analysis(summary, [150, 50, 5, 3], list('wxyz'),
                       str(tmp_path / 'o'), columns=['F2'])
