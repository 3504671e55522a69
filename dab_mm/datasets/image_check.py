"""Find images that cannot be read, and say which annotation lists them."""
import os
import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from typing import Iterable, List, Optional, Tuple

CHECK_COMMAND = 'python tools/analysis_tools/check_dataset.py CONFIG'


def image_problem(path: str) -> Optional[str]:
    """Why the image at ``path`` cannot be used, or None if it decodes.

    ``'missing'``, ``'empty file (0 bytes)'``, ``'unreadable file (...)'``
    or ``'not a decodable image (N bytes)'`` (truncated or not an image);
    decoded as the training pipeline does (``mmcv.imfrombytes``). Remote
    paths (``s3://`` ...) are not checked (None).
    """
    if '://' in path:
        return None
    if not osp.exists(path):
        return 'missing'
    try:
        with open(path, 'rb') as f:
            content = f.read()
    except OSError as e:
        return f'unreadable file ({e.strerror or e})'
    if not content:
        return 'empty file (0 bytes)'
    import mmcv
    try:
        img = mmcv.imfrombytes(content)
    except Exception:  # noqa: BLE001 - any decoder failure is the answer
        img = None
    if img is None or img.size == 0:
        return f'not a decodable image ({len(content)} bytes)'
    return None


def find_unreadable(items: Iterable[Tuple[str, str]],
                    workers: Optional[int] = None) -> List[Tuple[str, str,
                                                                  str]]:
    """``(path, where, problem)`` for every unreadable image of ``items``
    (``(path, where)`` pairs; ``where`` names the annotation entry), in the
    order given. Decoding runs in threads (OpenCV releases the GIL)."""
    items = list(items)
    workers = workers or min(32, (os.cpu_count() or 1) * 2)
    with ThreadPoolExecutor(workers) as pool:
        problems = list(pool.map(lambda it: image_problem(it[0]), items,
                                 chunksize=64))
    return [(p, w, why) for (p, w), why in zip(items, problems) if why]
