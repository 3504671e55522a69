"""The command blocks of the README and the user guides.

Every shell block carries a marker on the line before it,
``<!-- cmd: KIND [NAME] -->`` (the name identifies a block; ``run``
needs one): ``run NAME`` blocks are executed here, as
typed, by the runner of that name (in a scratch folder that sees the
repository's files by the same relative paths); every other kind says what
the block needs that a test machine does not have, and is checked with
``bash -n`` so that a syntax error (an unquoted parenthesis, a broken line
continuation) cannot come back. Python blocks must compile. An unmarked
shell block, an unknown kind or an indented (unfenced) code block fails.
"""
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest

from dab_mm.datasets import packaged_annotation
from tests.fake_data import REPO

PAGES = ['README.md', 'docs/get_started.md'] + sorted(
    osp.relpath(p, REPO)
    for p in glob.glob(osp.join(REPO, 'docs', 'user_guides', '*.md')))
KINDS = {
    'run': 'executed by this file',
    'gpu': 'needs GPUs',
    'images': 'needs real images (VOC / COCO, or your own dataset)',
    'demo': 'needs what `make demo` builds or fetches (data/fd_mlt, '
            'work_dirs/demo, the photo sources)',
    'install': 'installs from PyPI (CI does: make env)',
    'suite': 'the test suite or the demo themselves (CI runs make test)',
}
SHELL = ('bash', 'sh', 'shell')
MARKER = re.compile(r'^\s*<!-- cmd: (\w+)(?: ([\w-]+))? -->\s*$')


def doc_blocks(pages=PAGES):
    """(page, line, language, kind, name, text) of every fenced block;
    kind and name from the marker (None without one)."""
    found = []
    for page in pages:
        lines = open(osp.join(REPO, page)).read().split('\n')
        i = 0
        while i < len(lines):
            m = re.match(r'^(\s*)```(\S*)\s*$', lines[i])
            if not m:
                i += 1
                continue
            indent, lang = m.groups()
            j = i + 1
            while not lines[j].strip().startswith('```'):
                j += 1
            text = '\n'.join(x[len(indent):] for x in lines[i + 1:j])
            prev = next((lines[k] for k in range(i - 1, -1, -1)
                         if lines[k].strip()), '')
            mk = MARKER.match(prev)
            found.append((page, i + 1, lang, mk and mk.group(1),
                          mk and mk.group(2), text))
            i = j + 1
    return found


def indented_code(page):
    """Line numbers of indented code blocks (outside fences and lists)."""
    lines = open(osp.join(REPO, page)).read().split('\n')
    out, fenced, prev_blank, in_list = [], False, True, False
    for n, ln in enumerate(lines, 1):
        if ln.strip().startswith('```'):
            fenced = not fenced
        if fenced:
            continue
        if re.match(r'^\s*([-*]|\d+\.) ', ln):
            in_list = True
        elif not ln.startswith(' ') and ln.strip():
            in_list = False
        if (ln.startswith('    ') and ln.strip() and prev_blank
                and not in_list):
            out.append(n)
        prev_blank = not ln.strip()
    return out


BLOCKS = doc_blocks()
SHELL_BLOCKS = [b for b in BLOCKS if b[2] in SHELL]


def test_every_shell_block_is_marked():
    assert len(SHELL_BLOCKS) >= 20
    problems = []
    for page, line, lang, kind, name, text in BLOCKS:
        where = f'{page}:{line}'
        if not lang:
            problems.append(f'{where}: a fenced block without a language')
        elif lang in SHELL:
            if kind not in KINDS:
                problems.append(f'{where}: no <!-- cmd: KIND --> marker '
                                f'(KIND one of {", ".join(KINDS)})'
                                if kind is None else
                                f'{where}: unknown kind {kind!r}')
            elif kind == 'run' and name is None:
                problems.append(f'{where}: "run" needs a runner name')
            elif kind == 'run' and name not in RUNNERS:
                problems.append(f'{where}: no runner {name!r} in {__file__}')
    for page in PAGES:
        problems += [f'{page}:{n}: an indented code block (fence it, with '
                     'a language)' for n in indented_code(page)]
    names = [b[4] for b in SHELL_BLOCKS if b[3] == 'run']
    assert len(names) == len(set(names)), names
    assert not problems, '\n'.join(problems)


@pytest.mark.parametrize('block', SHELL_BLOCKS,
                         ids=[f'{b[0]}:{b[1]}' for b in SHELL_BLOCKS])
def test_shell_block_is_valid_bash(block):
    page, line, _, _, _, text = block
    proc = subprocess.run(['bash', '-n'], input=text, text=True,
                          capture_output=True)
    assert proc.returncode == 0, f'{page}:{line}: {proc.stderr}'


def test_python_blocks_compile():
    blocks = [b for b in BLOCKS if b[2] == 'python']
    assert blocks
    for page, line, _, _, _, text in blocks:
        compile(text, f'{page}:{line}', 'exec')


def test_marker_parser_catches_mistakes(tmp_path, monkeypatch):
    """The checks above fail on what they are meant to catch."""
    page = tmp_path / 'page.md'
    page.write_text('text\n\n```bash\nls\n```\n\n<!-- cmd: gpu -->\n'
                    '```bash\necho (x\n```\n\n    indented code\n')
    monkeypatch.setattr(sys.modules[__name__], 'REPO', str(tmp_path))
    blocks = doc_blocks(['page.md'])
    assert [(b[1], b[3]) for b in blocks] == [(3, None), (8, 'gpu')]
    assert subprocess.run(['bash', '-n'], input=blocks[1][5],
                          text=True).returncode != 0
    assert indented_code('page.md') == [12]


# --- runners: each executes its block as typed --------------------------

def sandbox(tmp_path):
    """A folder in which the repository's tools, configs and package are
    where the blocks' relative paths expect them, and ``python`` is this
    interpreter; nothing the block writes lands in the repository."""
    root = tmp_path / 'clone'
    root.mkdir()
    for name in ('tools', 'configs', 'dab_mm', 'Makefile', 'docs',
                 'requirements', 'README.md'):
        os.symlink(osp.join(REPO, name), root / name)
    env = dict(os.environ,
               PATH=osp.dirname(sys.executable) + os.pathsep +
               os.environ.get('PATH', ''),
               PYTHONPATH=REPO)
    return root, env


def bash(text, cwd, env, timeout=600):
    """Run ``text`` as a strict bash script; its stdout and stderr."""
    proc = subprocess.run(['bash', '-euo', 'pipefail', '-c', text], cwd=cwd,
                          env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout, proc.stderr


def run_block(text, tmp_path, epilog=''):
    root, env = sandbox(tmp_path)
    return root, bash(text + '\n' + epilog, root, env)[0]


def run_dataset_stats(text, tmp_path):
    root, out = run_block(text, tmp_path)
    stats = json.load(open(root / 'work_dirs' / 'voc_mlt_stats' /
                           'stats.json'))
    shipped = json.load(open(packaged_annotation('voc_mlt_train.json')))
    counts = [0] * 20
    for d in shipped['data_list']:
        for c in d['gt_label']:
            counts[c] += 1
    assert stats['num_images'] == len(shipped['data_list']) == 1142
    assert stats['class_counts'] == counts
    assert '1142 images, 20 classes' in out and 'head 6, middle 6, tail 8' in out
    for name in ('count_histogram.png', 'cooccurrence.png'):
        assert (root / 'work_dirs' / 'voc_mlt_stats' / name).is_file()


def run_rebuild_voc_mlt(text, tmp_path):
    root, out = run_block(text, tmp_path)
    built = json.load(open(root / 'work_dirs' / 'voc_mlt_rebuilt' /
                           'train.json'))
    shipped = json.load(open(packaged_annotation('voc_mlt_train.json')))
    assert [d['img_path'] for d in built['data_list']] == [
        d['img_path'] for d in shipped['data_list']]


def run_tools_path(text, tmp_path):
    root, out = run_block(text, tmp_path, epilog='echo "TOOLS=$TOOLS"')
    tools = out.strip().splitlines()[-1].split('=', 1)[1]
    assert osp.isfile(osp.join(tools, 'train.py'))
    assert osp.isfile(osp.join(tools, 'dist_train.sh'))


def run_docs(text, tmp_path):
    """``make docs`` is the Sphinx build that test_docs.py runs; here the
    target's recipe is checked (a dry run)."""
    assert text.strip() == 'make docs'
    proc = subprocess.run(['make', '-n', 'docs'], cwd=REPO,
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert '-m sphinx -W --keep-going -b html -c docs . docs/_build/html' in \
        proc.stdout


def run_quickstart(text, tmp_path):
    """The README's quick start. Its first line is ``make demo`` (the
    environment, FD-MLT and the demo's DAB model); here the environment is
    this one, FD-MLT a tiny one (tests/fake_data.py) and the model is
    trained by the demo's own command (tools/demo.sh) on it. The other lines
    run as typed."""
    from tests.fake_data import make_tiny_fd_mlt
    first, rest = text.split('\n', 1)
    assert first.startswith('make demo && . .venv/bin/activate')
    demo = open(osp.join(REPO, 'tools', 'demo.sh')).read()
    assert 'CONFIG=configs/dab/dab_r18w32_fd_mlt.py' in demo
    assert 'WORK_DIR=${WORK_DIR:-work_dirs/demo}' in demo
    root, env = sandbox(tmp_path)
    make_tiny_fd_mlt(str(root / 'data' / 'fd_mlt'))
    proc = subprocess.run(
        [sys.executable, 'tools/train.py', 'configs/dab/dab_r18w32_fd_mlt.py',
         '--work-dir', 'work_dirs/demo', '--cfg-options', 'randomness.seed=0'],
        cwd=root, env=env, capture_output=True, text=True, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert (root / 'work_dirs' / 'demo' / 'epoch_8.pth').is_file()
    log = ''.join(bash(rest, root, env, timeout=900))
    assert re.search(r'mlt/mAP: \d+\.\d+', log)  # tools/test.py
    assert 'data/fd_mlt/test/000002.png: ' in log  # tools/infer.py
    assert (root / 'work_dirs' / 'erm_r18w32_fd_mlt' / 'epoch_8.pth').is_file()


def run_packaged_tools(text, tmp_path):
    """The packaged tools from a project folder of the user's own (no
    clone in it): ``my_dab.py`` inherits a packaged config with the
    ``dab_mm::`` prefix, here a tiny FD-MLT for one epoch."""
    from tests.fake_data import make_tiny_fd_mlt
    project = tmp_path / 'my_project'
    make_tiny_fd_mlt(str(project / 'data' / 'fd_mlt'))
    (project / 'my_dab.py').write_text(
        "_base_ = ['dab_mm::dab/dab_r18w32_fd_mlt.py']\n"
        "train_cfg = dict(max_epochs=1, val_interval=1)\n")
    env = dict(os.environ, PATH=osp.dirname(sys.executable) + os.pathsep +
               os.environ.get('PATH', ''))
    log = ''.join(bash(text, project, env, timeout=900))
    assert (project / 'work_dirs' / 'my_dab' / 'epoch_1.pth').is_file()
    assert re.search(r'mlt/mAP: \d+\.\d+', log)


RUNNERS = {
    'quickstart': run_quickstart,
    'packaged-tools': run_packaged_tools,
    'dataset-stats': run_dataset_stats,
    'rebuild-voc-mlt': run_rebuild_voc_mlt,
    'tools-path': run_tools_path,
    'docs': run_docs,
}
RUN_BLOCKS = [b for b in SHELL_BLOCKS if b[3] == 'run']


@pytest.mark.parametrize('block', RUN_BLOCKS,
                         ids=[b[4] for b in RUN_BLOCKS])
def test_run_block(block, tmp_path):
    page, line, _, _, name, text = block
    RUNNERS[name](text, tmp_path)
