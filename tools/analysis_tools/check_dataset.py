"""Decode every image of every split of a config and list every problem at
once: missing, empty, truncated or not an image, each with the annotation
file and entry that lists it.

  python tools/analysis_tools/check_dataset.py configs/dab/dab_r101_coco_mlt.py
  python tools/analysis_tools/check_dataset.py CONFIG --splits train --workers 16 \\
      --cfg-options train_dataloader.dataset.data_root=/data/coco

Exit status 1 when a problem was found (0 otherwise), so it can gate a job.
Images are decoded as the training pipeline decodes them (mmcv), in
parallel threads.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import dab_mm  # noqa: E402,F401  registers the datasets
from mmengine.config import Config, DictAction  # noqa: E402

from dab_mm.datasets.image_check import find_unreadable  # noqa: E402
from dab_mm.datasets.label_stats import build_label_dataset  # noqa: E402


def split_items(dataset):
    """``(img_path, annotation entry)`` of every sample."""
    entry = getattr(dataset, 'annotation_entry', None)
    for i in range(len(dataset)):
        info = dataset.get_data_info(i)
        where = entry(i) if entry else f'sample {i}'
        yield info['img_path'], where


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('config')
    parser.add_argument('--splits', nargs='+', default=['train', 'val',
                                                        'test'])
    parser.add_argument('--workers', type=int, default=None,
                        help='decoding threads (default: 2 x CPUs, <= 32)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override settings in the config, key=value')
    args = parser.parse_args(argv)
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    seen, total, problems = set(), 0, []
    for split in args.splits:
        loader = cfg.get(f'{split}_dataloader')
        if not loader:
            print(f'{split}: no {split}_dataloader in the config; skipped')
            continue
        t0 = time.time()
        dataset = build_label_dataset(loader['dataset'])
        listed = list(split_items(dataset))
        items = [it for it in listed if it not in seen]
        seen.update(items)
        found = find_unreadable(items, args.workers)
        total += len(items)
        problems += found
        again = len(listed) - len(items)
        print(f'{split}: {len(items)} images checked in '
              f'{time.time() - t0:.1f} s, {len(found)} unreadable'
              + (f' ({again} listed by an earlier split, not checked again)'
                 if again else ''), flush=True)
    for path, where, why in problems:
        print(f'{path}: {why} (listed in {where})')
    if problems:
        print(f'{len(problems)} of {total} images cannot be read. Fix or '
              'remove them (or set skip_unreadable=True in the dataset '
              'config to train without them).')
        return 1
    print(f'All {total} images decode.')
    return 0


if __name__ == '__main__':
    sys.exit(main())
