"""The manual builds (Sphinx + MyST, warnings as errors: a missing page,
a broken link or a bad cross-reference fails) and its API reference lists
every component dab-mm registers."""
import os.path as osp
import re
import subprocess
import sys

import pytest

import dab_mm  # noqa: F401  (registers the components)
from tests.fake_data import REPO


def registered_components():
    """(registry name, class) of every dab_mm class in the OpenMMLab
    registries a config can name it in."""
    from mmengine.registry import MODEL_WRAPPERS
    from mmpretrain import registry as mmpretrain_registry
    found = set()
    registries = [getattr(mmpretrain_registry, n) for n in dir(
        mmpretrain_registry) if n.isupper()] + [MODEL_WRAPPERS]
    for reg in registries:
        if not hasattr(reg, 'module_dict'):
            continue
        for name, obj in reg.module_dict.items():
            if getattr(obj, '__module__', '').startswith('dab_mm'):
                found.add((reg.name, obj))
    return found


def test_api_reference_lists_every_registered_component():
    components = registered_components()
    names = {obj.__name__ for _, obj in components}
    # the design card's components are among them
    assert {'DABLoss', 'PhiScheduleHook', 'VOCMLT', 'COCOMLT',
            'LongTailMAP'} <= names and len(names) >= 14
    api = open(osp.join(REPO, 'docs', 'api.rst')).read()
    documented = set(re.findall(r'\.\. autoclass:: ([\w.]+)', api))
    for _, obj in components:
        public = [path for path in documented
                  if path.rsplit('.', 1)[-1] == obj.__name__]
        assert public, f'{obj.__name__} is registered but not in docs/api.rst'
        module, cls = public[0].rsplit('.', 1)
        assert getattr(__import__(module, fromlist=[cls]), cls) is obj


def test_manual_builds_without_warnings(tmp_path):
    pytest.importorskip('myst_parser')
    cmd = [sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-q', '-E',
           '-b', 'html', '-c', 'docs', '.', str(tmp_path / 'html')]
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-5000:]
    assert not proc.stderr.strip(), proc.stderr[-5000:]
    # every autoclass of the API reference was rendered, with its docstring
    html = (tmp_path / 'html' / 'docs' / 'api.html').read_text()
    api = open(osp.join(REPO, 'docs', 'api.rst')).read()
    anchors = set(re.findall(r'id="(dab_mm[\w.]*)"', html))
    for path in re.findall(r'\.\. autoclass:: ([\w.]+)', api):
        assert path in anchors, path
    assert 'Distribution Asymmetric Balance' in html
    # every page of the manual was built (the toctree reaches them all)
    for page in ('README', 'docs/method', 'docs/mlt_fd', 'docs/speed',
                 'results/fd_mlt_pretrained/results',
                 'configs/dab/README'):
        assert (tmp_path / 'html' / f'{page}.html').is_file(), page


def test_broken_reference_fails_the_build(tmp_path):
    """The same configuration on a copy of one page with a link to a page
    that does not exist and a reference to an undocumented object."""
    pytest.importorskip('myst_parser')
    src = tmp_path / 'src'
    (src / 'docs').mkdir(parents=True)
    conf = open(osp.join(REPO, 'docs', 'conf.py')).read()
    (src / 'docs' / 'conf.py').write_text(conf)
    (src / 'README.md').write_text('# front\n')
    (src / 'docs' / 'index.md').write_text(
        '# manual\n\n```{toctree}\n../README\n```\n\n'
        'See [a page](nowhere.md) and {py:class}`dab_mm.NoSuchThing`.\n')
    proc = subprocess.run(
        [sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-q', '-b',
         'html', '-c', 'docs', '.', str(tmp_path / 'html')],
        cwd=src, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    assert "target not found: 'nowhere.md'" in proc.stderr
    assert 'dab_mm.NoSuchThing' in proc.stderr
