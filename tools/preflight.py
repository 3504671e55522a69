"""What tools/train.py and tools/test.py settle before torch, mmengine and
dab_mm are imported (standard library only):

* a config file that does not exist stops them at once, naming the closest
  configs (tools/dist_train.sh and tools/dist_test.sh run this file before
  torchrun starts its processes):

    python tools/preflight.py CONFIG   # exit 0 if CONFIG exists, else 2

* ``dab_mm::<path under configs/>`` names a config that ships with dab-mm,
  as in a config's ``_base_``: the configs beside these tools (the
  repository's ``configs/``, or the installed package's
  ``dab_mm/.mim/configs``), so the tools run from any folder
  (:func:`resolve_config`);
* the default number of OpenMP threads (:func:`default_cpu_threads`).
"""
import difflib
import os
import os.path as osp
import sys

TOOLS = osp.dirname(osp.abspath(__file__))
CONFIGS = osp.join(osp.dirname(TOOLS), 'configs')
PREFIX = 'dab_mm::'
MAX_SUGGESTIONS = 5


def resolve_config(path):
    """``dab_mm::dab/dab_r101_voc_mlt.py`` -> the packaged file's path;
    any other path as given."""
    if path.startswith(PREFIX):
        return osp.join(CONFIGS, path[len(PREFIX):])
    return path


def config_roots(path):
    """Folders whose configs are candidates: the ``configs`` folder beside
    these tools (the repository's, or the installed package's
    ``dab_mm/.mim/configs``), and the nearest existing folder of ``path``
    (not the file system's root)."""
    roots = [CONFIGS]
    parent = osp.dirname(osp.abspath(path))
    while not osp.isdir(parent):
        parent = osp.dirname(parent)
    if parent != osp.dirname(parent):
        roots.append(parent)
    return [r for r in dict.fromkeys(osp.normpath(r) for r in roots)
            if osp.isdir(r)]


def list_configs(root):
    found = []
    for dirpath, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith('.'))
        found += [osp.join(dirpath, f) for f in sorted(files)
                  if f.endswith('.py') and '_base_' not in dirpath]
        if len(found) > 20000:  # a huge tree: enough to choose from
            break
    return found


def closest_configs(path, n=MAX_SUGGESTIONS):
    """Existing configs closest to ``path``: those with the same file name
    first, then the closest paths (difflib), all relative to the current
    folder."""
    candidates = []
    for root in config_roots(path):
        candidates += list_configs(root)
    candidates = list(dict.fromkeys(osp.relpath(c) for c in candidates))
    query = osp.relpath(osp.abspath(path))
    same = [c for c in candidates if osp.basename(c) == osp.basename(path)]
    close = difflib.get_close_matches(query, candidates, n=n, cutoff=0.6)
    return list(dict.fromkeys(same + close))[:n]


def missing_message(path):
    """``path`` as the user gave it (``dab_mm::`` names are answered with
    ``dab_mm::`` names)."""
    msg = f'Config file "{path}" does not exist.'
    packaged = path.startswith(PREFIX)
    close = closest_configs(resolve_config(path))
    if packaged:
        close = [PREFIX + osp.relpath(c, CONFIGS) for c in close
                 if not osp.relpath(osp.abspath(c), CONFIGS).startswith('..')]
    if close:
        msg += ' Closest existing configs:\n  ' + '\n  '.join(close)
    return msg


def default_cpu_threads(environ=os.environ, cpu_count=os.cpu_count):
    """Set ``OMP_NUM_THREADS`` in ``environ`` to half the cores (at least 1)
    unless the user set it; returns the value set, or None.

    torch's own default, one thread per core, leaves no core to the data
    workers or to any other process, and OpenMP threads that wait for a busy
    core slow every operation down: measured on 2 cores
    (``tools/analysis_tools/benchmark.py --only threads``, docs/speed.md),
    training the demo config beside one CPU-bound process took 4.8x as long
    with 2 threads as with 1, while on the idle machine 2 threads were 17 %
    faster. Distributed runs get 1 per process from tools/dist_train.sh (as
    torchrun does)."""
    if environ.get('OMP_NUM_THREADS'):
        return None
    threads = max(1, (cpu_count() or 1) // 2)
    environ['OMP_NUM_THREADS'] = str(threads)
    return threads


def threads_message(threads):
    """The log line of a thread count set by :func:`default_cpu_threads`."""
    return (f'CPU threads: OMP_NUM_THREADS={threads} (the default, half the '
            'cores; set OMP_NUM_THREADS to choose)')


def config_or_exit(path):
    """The config file ``path`` names (``dab_mm::`` resolved); exit with
    status 2 and a message naming the closest configs when it does not
    exist."""
    resolved = resolve_config(path)
    if not osp.isfile(resolved):
        print(missing_message(path), file=sys.stderr)
        raise SystemExit(2)
    return resolved


if __name__ == '__main__':
    if len(sys.argv) != 2:
        raise SystemExit('usage: python tools/preflight.py CONFIG')
    config_or_exit(sys.argv[1])
