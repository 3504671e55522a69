"""Pairwise agreement of a study's method ranking with the published tables
(dab_mm/evaluation/published.py, tools/analysis_tools/published_order.py)."""
import json
import os.path as osp
import re

import numpy as np
import pytest
from scipy.stats import kendalltau

from dab_mm.evaluation.published import (PUBLISHED, pairwise_agreement,
                                         published_column)
from tests.fake_data import REPO
from tools.analysis_tools import published_order


def test_pairwise_agreement_by_hand():
    published = dict(a=3.0, b=2.0, c=1.0)
    same = pairwise_agreement(dict(a=9, b=5, c=0), published)
    assert (same['agree'], same['total'], same['kendall_tau']) == (3, 3, 1.0)
    rev = pairwise_agreement(dict(a=0, b=5, c=9), published)
    assert (rev['agree'], rev['kendall_tau']) == (0, -1.0)
    # one swap (b, c): 2 of 3 agree, tau (2 - 1) / 3
    one = pairwise_agreement(dict(a=9, b=1, c=2), published)
    assert one['agree'] == 2 and one['kendall_tau'] == pytest.approx(1 / 3)
    assert [p[4] for p in one['pairs']] == [True, True, False]
    assert one['pairs'][2][:4] == ('b', 'c', 1.0, -1.0)
    # a tie in the study is neither agreement nor disagreement
    tie = pairwise_agreement(dict(a=9, b=1, c=1), published)
    assert (tie['agree'], tie['kendall_tau']) == (2, pytest.approx(2 / 3))
    # methods only one side has are left out and listed
    part = pairwise_agreement(dict(a=1, c=0, z=5), published)
    assert part['total'] == 1 and part['missing'] == ['b']
    with pytest.raises(KeyError, match='z'):
        pairwise_agreement(dict(a=1), published, methods=['a', 'z'])


def test_kendall_tau_equals_scipy():
    rng = np.random.default_rng(0)
    for _ in range(20):
        names = [f'm{i}' for i in range(9)]
        x, y = rng.permutation(9), rng.normal(size=9)
        res = pairwise_agreement(dict(zip(names, y)), dict(zip(names, x)))
        assert res['total'] == 36
        assert res['kendall_tau'] == pytest.approx(kendalltau(x, y)[0])


def test_published_tables_match_the_method_readmes():
    """Each method README quotes the same published numbers."""
    for method in ('erm', 'rw', 'rs', 'focal', 'mlgcn', 'dbfocal', 'dab'):
        text = ' '.join(open(osp.join(REPO, 'configs', method,
                                      'README.md')).read().split())
        for bench, name in (('voc_mlt', 'VOC-MLT'), ('coco_mlt', 'COCO-MLT')):
            (table, ) = PUBLISHED[bench].values()
            quoted = re.search(name + r' (\d+\.\d+) / (\d+\.\d+) / '
                               r'(\d+\.\d+) / (\d+\.\d+)', text)
            assert quoted, (method, name)
            assert tuple(map(float, quoted.groups())) == table[method]
    # the DAB paper's claim: DAB above every baseline in total mAP
    for bench in PUBLISHED:
        (table, ) = PUBLISHED[bench].values()
        col = published_column(table)
        assert max(col, key=col.get) == 'dab'
    with pytest.raises(ValueError, match='mAP_tail'):
        published_column(table, 'tail')


def write_results(folder, means):
    folder.mkdir()
    summary = {name: dict(mAP=[v, 0.5], mAP_head=[v, 0.1], seeds=[0, 1])
               for name, v in means.items()}
    (folder / 'results.json').write_text(json.dumps(dict(summary=summary)))
    return str(folder)


def test_cli_report(tmp_path, capsys):
    (table, ) = PUBLISHED['voc_mlt'].values()
    col = published_column(table)
    # the published order except ERM above RW; plus a method not in the table
    means = {f'{m}_effl0_voc_mlt_fd': v for m, v in col.items()}
    means['erm_effl0_voc_mlt_fd'] = col['rw'] + 0.1
    means['asl_effl0_voc_mlt_fd'] = 50.0
    folder = write_results(tmp_path / 'study', means)
    out = tmp_path / 'order.md'
    published_order.main([folder, '--benchmark', 'voc_mlt', '--out', str(out)])
    text = out.read_text()
    assert text.rstrip('\n') == capsys.readouterr().out.rstrip('\n')
    # ERM now beats RW (published: below) and FOCAL (73.88 < 74.80): 2 of 21
    # pairs flip
    assert '**19 of 21 pairs agree** (Kendall τ = 0.81)' in text
    assert '| erm − rw | -3.84 | +0.10 | **no** |' in text
    assert '| erm − focal | -3.02 | +0.92 | **no** |' in text
    assert 'not in the table: asl' in text
    assert '(`erm_effl0_voc_mlt_fd`)' in text


def test_cli_errors(tmp_path):
    with pytest.raises(SystemExit, match='results.json: no such file'):
        published_order.main([str(tmp_path), '--benchmark', 'coco_mlt'])
    folder = write_results(tmp_path / 'two', {'dab_a': 1.0, 'dab_b': 2.0})
    with pytest.raises(SystemExit, match='dab_a and dab_b are both'):
        published_order.main([folder, '--benchmark', 'coco_mlt'])
    folder = write_results(tmp_path / 'one', {'dab_a': 1.0})
    with pytest.raises(SystemExit, match="no 'mAP_tail'"):
        published_order.main([folder, '--benchmark', 'coco_mlt',
                              '--metric', 'mAP_tail'])


def test_cli_stand_in(tmp_path, capsys):
    """--as dab=CONFIG: the tuned DAB stands for the paper's DAB row, the
    paper-setting DAB keeps its own name and is not compared."""
    (table, ) = PUBLISHED['voc_mlt'].values()
    col = published_column(table)
    means = {f'{m}_x': v for m, v in col.items()}
    means['dab_x'] = col['erm'] - 1.0  # below ERM, above ML-GCN
    means['dab-tuned_x'] = col['dab'] + 0.5  # keeps the published order
    folder = write_results(tmp_path / 'study', means)
    published_order.main([folder, '--benchmark', 'voc_mlt'])
    text = capsys.readouterr().out
    assert 'dab (`dab_x`)' in text
    assert '**16 of 21 pairs agree**' in text  # 5 pairs with DAB flip
    published_order.main([folder, '--benchmark', 'voc_mlt',
                          '--as', 'dab=dab-tuned_x'])
    text = capsys.readouterr().out
    assert '**21 of 21 pairs agree** (Kendall τ = 1.00)' in text
    assert 'dab (`dab-tuned_x`)' in text
    assert 'not in the table: dab_x, dab-tuned' not in text
    assert 'not in the table: dab_x' in text
    with pytest.raises(SystemExit, match="has no config 'dab-t_x'"):
        published_order.main([folder, '--benchmark', 'voc_mlt',
                              '--as', 'dab=dab-t_x'])
    with pytest.raises(SystemExit):
        published_order.main([folder, '--benchmark', 'voc_mlt',
                              '--as', 'dab'])
    assert "expected METHOD=CONFIG" in capsys.readouterr().err
