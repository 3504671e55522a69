"""Paired tests and sensitivity plots of a method comparison: closed forms."""
import math

import numpy as np
import pytest

from dab_mm.evaluation.comparison import (aggregate, paired_table,
                                          paired_tests, plot_sensitivity)


def run(m, head=None):
    return dict(mAP=m, mAP_head=m if head is None else head, mAP_middle=m,
                mAP_tail=m, AP_classwise=[m, None])


RUNS = {
    'ref': {0: run(10.0), 1: run(20.0), 2: run(30.0)},
    'a': {0: run(11.0), 1: run(22.0), 2: run(34.0)},   # d = 1, 2, 4
    'same': {0: run(12.0), 1: run(22.0), 2: run(32.0)},  # d = 2, 2, 2
    'short': {1: run(25.0)},
}


def test_paired_t_test_closed_form():
    tests = paired_tests(RUNS, 'ref')
    assert set(tests) == {'a', 'same', 'short'}
    a = tests['a']
    # d = (1, 2, 4): mean 7/3, sample std sqrt(7/3), t = sqrt(7); with
    # 2 degrees of freedom the t CDF is 1/2 + t / (2 sqrt(2 + t^2)), so the
    # two-sided p is 1 - sqrt(7) / 3.
    assert a['n'] == 3
    assert a['diff'] == pytest.approx(7 / 3)
    assert a['diff_std'] == pytest.approx(math.sqrt(7 / 3))
    assert a['t'] == pytest.approx(math.sqrt(7))
    assert a['p'] == pytest.approx(1 - math.sqrt(7) / 3)
    # constant differences: no test; one common seed: no test
    assert tests['same']['diff'] == 2.0 and np.isnan(tests['same']['p'])
    assert tests['short']['n'] == 1 and np.isnan(tests['short']['t'])
    with pytest.raises(KeyError, match="'nope' has no runs"):
        paired_tests(RUNS, 'nope')


def test_paired_table():
    md = paired_table({'ref': paired_tests(RUNS, 'ref'),
                       'a': paired_tests(RUNS, 'a')})
    lines = md.splitlines()
    assert lines[0] == '| method | Δ vs ref | p | Δ vs a | p |'
    row_a = [x for x in lines if x.startswith('| a |')][0]
    assert row_a == f'| a | +2.33 ± 1.53 (n=3) | {1 - math.sqrt(7) / 3:.3f} ' \
        '| — | — |'
    row_ref = [x for x in lines if x.startswith('| ref |')][0]
    assert row_ref.startswith('| ref | — | — | -2.33 ± 1.53 (n=3) |')


def test_sensitivity_plot(tmp_path):
    summary = aggregate(RUNS)
    path = plot_sensitivity(summary, {'x': [(2, 'a'), (0, 'ref')],
                                      'y': [(1, 'same')]},
                            str(tmp_path / 's.png'))
    import matplotlib.image
    img = matplotlib.image.imread(path)
    assert img.shape[1] > img.shape[0] > 300  # two panels side by side
    with pytest.raises(KeyError, match='no runs'):
        plot_sensitivity(summary, {'x': [(1, 'nope')]}, str(tmp_path / 't.png'))
