"""The OpenMMLab layout of configs/: one folder per method with a README and
a metafile that list exactly its configs, each method defined once (in
configs/_base_/methods/), and tools/misc/update_model_index.py keeping the
metafiles and READMEs equal to the configs and the recorded studies."""
import glob
import os
import os.path as osp
import re
import shutil

import pytest
import yaml
from mmengine.config import Config

from tests.fake_data import REPO, load_tool

umi = load_tool('tools/misc/update_model_index.py')

FOLDERS = sorted(osp.basename(p) for p in glob.glob(osp.join(REPO, 'configs',
                                                              '*'))
                 if osp.isdir(p) and osp.basename(p) != '_base_')


def test_every_method_has_a_folder():
    assert FOLDERS == sorted(['dab', 'erm', 'rw', 'rs', 'focal', 'cbfocal',
                              'dbfocal', 'asl', 'mlgcn'])
    # at the top only the design card's paths, which inherit the method
    # folder's configs (tests/test_tools/test_train_test.py)
    assert sorted(osp.basename(p) for p in glob.glob(
        osp.join(REPO, 'configs', '*.py'))) == ['dab_r101_coco_mlt.py',
                                                'dab_r101_voc_mlt.py']


@pytest.mark.parametrize('folder', FOLDERS)
def test_folder_readme_and_metafile_list_exactly_its_configs(folder):
    here = osp.join(REPO, 'configs', folder)
    names = sorted(osp.splitext(osp.basename(p))[0]
                   for p in glob.glob(osp.join(here, '*.py')))
    assert names and all(n.split('_')[0].split('-')[0] == folder
                         for n in names)
    with open(osp.join(here, 'metafile.yml')) as f:
        meta = yaml.safe_load(f)
    (coll,) = meta['Collections']
    assert coll['README'] == f'configs/{folder}/README.md'
    models = meta['Models']
    assert sorted(m['Name'] for m in models) == names
    for m in models:
        assert m['In Collection'] == coll['Name']
        assert m['Config'] == f'configs/{folder}/{m["Name"]}.py'
        assert osp.isfile(osp.join(REPO, m['Config']))
    readme = open(osp.join(here, 'README.md')).read()
    assert readme.startswith('# ')
    for name in names:  # every config is named in the README
        assert f'`{name}.py`' in readme or \
            f'`{name.split("_")[0]}_*`' in readme, name


def test_model_index_imports_every_metafile():
    with open(osp.join(REPO, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    assert index['Import'] == [f'configs/{f}/metafile.yml' for f in FOLDERS]


@pytest.mark.parametrize('folder', FOLDERS)
def test_each_method_is_defined_once(folder):
    """Every config of a method takes its loss (and sampler or head) from
    configs/_base_/methods/<method>.py: no config spells out a loss type."""
    fragment = osp.join(REPO, 'configs', '_base_', 'methods', f'{folder}.py')
    method = Config.fromfile(fragment)[folder]
    for path in glob.glob(osp.join(REPO, 'configs', folder, '*.py')):
        text = open(path).read()
        assert not re.search(r"type='\w*(Loss|MLGCNHead)'", text), path
        cfg = Config.fromfile(path)
        loss = cfg.model.head.loss
        want = method.get('loss', method.get('head', {}).get('loss'))
        for key, value in want.items():
            # Float32Loss's inner loss is checked below; a value the config
            # sets itself (e.g. DB-Focal's COCO mu) is the config's to change
            if key != 'loss' and f'{key}=' not in text:
                assert loss[key] == value, (path, key)
        if folder == 'asl':
            assert loss.loss.gamma_neg == 4.0
            assert loss.loss.loss_weight == pytest.approx(
                1 / cfg.model.head.num_classes)
        if 'sampler' in method and '-uniform' not in path:
            assert cfg.train_dataloader.sampler.type == method.sampler.type


def test_metafiles_and_readmes_are_up_to_date():
    assert umi.main(['--check']) == 0


def test_check_names_a_stale_metafile(tmp_path, capsys):
    """A config added without re-running the tool makes --check fail and
    name the folder's metafile; re-running the tool fixes it."""
    repo = str(tmp_path / 'repo')
    shutil.copytree(osp.join(REPO, 'configs'), osp.join(repo, 'configs'))
    shutil.copytree(osp.join(REPO, 'results'), osp.join(repo, 'results'))
    shutil.copy(osp.join(REPO, 'model-index.yml'), repo)
    assert umi.main(['--check', '--repo', repo]) == 0
    shutil.copy(osp.join(repo, 'configs', 'rs', 'rs_r101_voc_mlt.py'),
                osp.join(repo, 'configs', 'rs', 'rs-copy_r101_voc_mlt.py'))
    capsys.readouterr()
    assert umi.main(['--check', '--repo', repo]) == 1
    assert 'configs/rs/metafile.yml' in capsys.readouterr().out
    assert umi.main(['--repo', repo]) == 0
    assert umi.main(['--check', '--repo', repo]) == 0
    with open(osp.join(repo, 'configs', 'rs', 'metafile.yml')) as f:
        names = [m['Name'] for m in yaml.safe_load(f)['Models']]
    assert 'rs-copy_r101_voc_mlt' in names


def test_recorded_numbers_come_from_the_results_files():
    """A metafile's mAP is the recorded mean over seeds, rounded."""
    import json
    with open(osp.join(REPO, 'results', 'fd_mlt', 'results.json')) as f:
        rec = json.load(f)['summary']['dab_r18w32_fd_mlt']
    with open(osp.join(REPO, 'configs', 'dab', 'metafile.yml')) as f:
        models = {m['Name']: m for m in yaml.safe_load(f)['Models']}
    metrics = models['dab_r18w32_fd_mlt']['Results'][0]['Metrics']
    assert metrics['mAP'] == round(rec['mAP'][0], 2)
    assert metrics['mAP (tail)'] == round(rec['mAP_tail'][0], 2)
    assert models['dab_r101_voc_mlt']['Results'] is None


def repo_with_rs_study(tmp_path, study, mAP, seeds, command):
    """A copy of the configs and results with one more study, results/STUDY
    (results.json only), recording rs_r18w32_fd_mlt with the given mAP
    (mean, std) and seeds, written out by the tool; returns the copy and
    the fd_mlt summary row the new one was made from."""
    import json
    repo = str(tmp_path / 'repo')
    shutil.copytree(osp.join(REPO, 'configs'), osp.join(repo, 'configs'))
    shutil.copytree(osp.join(REPO, 'results'), osp.join(repo, 'results'))
    shutil.copy(osp.join(REPO, 'model-index.yml'), repo)
    with open(osp.join(repo, 'results', 'fd_mlt', 'results.json')) as f:
        rec = json.load(f)
    row = rec['summary']['rs_r18w32_fd_mlt']
    rec['summary'] = {'rs_r18w32_fd_mlt': dict(row, mAP=mAP, seeds=seeds)}
    rec['command'] = ('python tools/analysis_tools/compare_methods.py '
                      + command)
    os.makedirs(osp.join(repo, 'results', study))
    with open(osp.join(repo, 'results', study, 'results.json'), 'w') as f:
        json.dump(rec, f)
    assert umi.main(['--repo', repo]) == 0
    return repo, row


def test_a_config_recorded_in_two_studies_gets_both(tmp_path):
    """A config in two studies (a method's default in the main comparison
    and in a sensitivity study) gets one Results entry per study in the
    metafile and a row in each study's table of the README."""
    repo, row = repo_with_rs_study(tmp_path, 'zz_other', [12.345, 1.0],
                                   [7, 8], 'X')
    with open(osp.join(repo, 'configs', 'rs', 'metafile.yml')) as f:
        models = {m['Name']: m for m in yaml.safe_load(f)['Models']}
    results = models['rs_r18w32_fd_mlt']['Results']
    assert [(r['Study'], r['Seeds'], r['Metrics']['mAP']) for r in results] \
        == [('results/fd_mlt', len(row['seeds']), round(row['mAP'][0], 2)),
            ('results/zz_other', 2, 12.35)]
    with open(osp.join(repo, 'configs', 'rs', 'README.md')) as f:
        readme = f.read()
    assert '**`results/zz_other`**' in readme
    assert '| rs_r18w32_fd_mlt | 2 | 12.35 ± 1.00 |' in readme
    assert 'compare_methods.py X' in readme


def test_a_study_in_progress_links_its_records(tmp_path):
    """A study that spans sessions has results.json (rewritten after every
    run) but no results.md until it ends: the README links what exists,
    says the study is in progress, and shows one seed's mean without a
    spread of ± 0.00."""
    repo, _ = repo_with_rs_study(tmp_path, 'zz_partial', [12.345, 0.0], [0],
                                 'Y')
    with open(osp.join(repo, 'configs', 'rs', 'README.md')) as f:
        readme = f.read()
    block = readme[readme.index('**`results/zz_partial`**'):]
    assert 'the mean alone for one seed; a study in progress' in block
    assert '[results/zz_partial/results.json](../../results/zz_partial/' \
        'results.json)' in block
    assert 'results/zz_partial/results.md' not in block
    assert '| rs_r18w32_fd_mlt | 1 | 12.35 |' in block
    # the finished studies keep their link to results.md
    assert '[results/fd_mlt/results.md](../../results/fd_mlt/results.md)' \
        in readme
