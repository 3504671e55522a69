"""The repository is self-contained: no code, config or script reads from a
folder beside it (the team's reference shelf is not shipped to users)."""
import os
import os.path as osp

from tests.fake_data import REPO

SKIP_DIRS = {'.git', '.venv', 'work_dirs', 'data', '__pycache__'}
CODE = ('.py', '.sh', '.ini', '.cfg', '.txt', '.yml', '.yaml', '.toml')
# Spelled in pieces so that this file does not match itself.
FORBIDDEN = ('..' + '/shared', 'DAB_' + 'SHARED')


def test_no_code_reads_outside_the_repository():
    offenders = []
    for root, dirs, files in os.walk(REPO):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS]
        for name in files:
            if not (name.endswith(CODE) or name == 'Makefile' or
                    osp.join(root, name).endswith(osp.join('.ci', 'run'))):
                continue
            path = osp.join(root, name)
            with open(path, encoding='utf-8', errors='replace') as f:
                for lineno, line in enumerate(f, start=1):
                    if any(s in line for s in FORBIDDEN):
                        offenders.append(
                            f'{osp.relpath(path, REPO)}:{lineno}: {line.strip()}')
    assert not offenders, '\n'.join(offenders)
