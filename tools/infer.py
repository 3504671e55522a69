"""Predict labels with scores for images or folders from a config and a
checkpoint (multi-label: every class whose score reaches --thr).

  python tools/infer.py configs/dab/dab_r101_voc_mlt.py work_dirs/dab/epoch_8.pth \
      demo/street.jpg data/new_photos/ --thr 0.5 --out predictions.json

  # the 3 best classes per image, drawings in vis/
  python tools/infer.py CONFIG CKPT photos/ --topk 3 --show-dir vis/

Uses the config's test pipeline (mmpretrain's inferencer). Prints one line per
image. --out writes a JSON object: config, checkpoint, thr, topk,
predictions (a list with, per image, img_path, pred_labels, pred_classes,
pred_label_scores and scores, every class) and unreadable (a list of
img_path and error).

An image that cannot be read is skipped with a warning naming it; the others
are predicted, and the exit status is 1 when any was skipped. A checkpoint
that does not fit the config stops the tool with the keys named (use the
config saved in the training work dir); --non-strict loads it anyway.
"""
import argparse
import json
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))

import dab_mm  # noqa: F401,E402  registers components, filters warnings
from mmengine.config import Config, DictAction  # noqa: E402

from dab_mm.apis import MultiLabelInferencer, list_images  # noqa: E402
from dab_mm.utils.checkpoint import CheckpointMismatchError  # noqa: E402

from preflight import config_or_exit  # noqa: E402  tools/preflight.py


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('config', help='config file, or dab_mm::<path under '
                        'configs/> for a packaged one')
    parser.add_argument('checkpoint')
    parser.add_argument('inputs', nargs='+', help='image files or folders')
    sel = parser.add_mutually_exclusive_group()
    sel.add_argument('--thr', type=float, help='score threshold (default: '
                     'the head\'s thr, else 0.5)')
    sel.add_argument('--topk', type=int, help='report the k best classes')
    parser.add_argument('--out', help='JSON file for the predictions')
    parser.add_argument('--recursive', action='store_true',
                        help='also images in sub-folders of input folders')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--device', help='cpu, cuda, cuda:1, ... (default: '
                        'cuda if available)')
    parser.add_argument('--show-dir', help='save drawn predictions here')
    parser.add_argument('--vis-size', type=int, help='resize the short edge '
                        'of drawn images to this many pixels (small images)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides, key=value')
    parser.add_argument('--non-strict', action='store_true',
                        help='load a checkpoint that does not fit the config '
                        '(weights that do not fit stay as initialised)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    args.config = config_or_exit(args.config)
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'Checkpoint "{args.checkpoint}" does not exist.')
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    files = list_images(args.inputs, args.recursive)
    try:
        inferencer = MultiLabelInferencer(cfg, pretrained=args.checkpoint,
                                          device=args.device, thr=args.thr,
                                          topk=args.topk,
                                          strict=not args.non_strict)
    except CheckpointMismatchError as e:
        raise SystemExit(f'Error: {e}') from None
    kwargs = dict(skip_unreadable=True)
    if args.show_dir:
        os.makedirs(args.show_dir, exist_ok=True)
        kwargs['show_dir'] = args.show_dir
        if args.vis_size:
            kwargs['resize'] = args.vis_size
    results = inferencer(files, batch_size=args.batch_size, **kwargs)
    print()  # after the progress bar
    records, unreadable = [], []
    for path, res in zip(files, results):
        if 'error' in res:
            print(f'Warning: skipped {path}: cannot read it ({res["error"]}).',
                  file=sys.stderr)
            unreadable.append(dict(img_path=path, error=res['error']))
            continue
        classes = inferencer.classes or [
            str(i) for i in range(len(res['pred_scores']))]
        names = res.get('pred_classes', [str(i) for i in res['pred_labels']])
        print(f'{path}: ' + (', '.join(
            f'{n} ({s:.3f})' for n, s in zip(names, res['pred_label_scores']))
            or '(no class above the threshold)'))
        records.append(dict(
            img_path=path, pred_labels=res['pred_labels'], pred_classes=names,
            pred_label_scores=res['pred_label_scores'],
            scores={c: float(s) for c, s in zip(classes, res['pred_scores'])}))
    if args.out:
        os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(dict(config=args.config, checkpoint=args.checkpoint,
                           thr=inferencer.thr, topk=inferencer.topk,
                           predictions=records, unreadable=unreadable), f,
                      indent=1)
        print(f'Written: {args.out}')
    if unreadable:
        print(f'{len(unreadable)} of {len(files)} images could not be read '
              'and were skipped (listed above).', file=sys.stderr)
        raise SystemExit(1)


if __name__ == '__main__':
    main()
