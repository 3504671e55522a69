"""Build a long-tailed (MLT) training split of any multi-label dataset.

Target counts follow a truncated Pareto law (shape --b over quantiles
0..--tail, scaled to [--min, --max]); classes are filled in descending order
of the column sums of P(j | i); images are added or removed at random
(--seed). See dab_mm/datasets/lt_split.py and docs/method.md section 8.

  # VOC-style XML (every object counts, difficult included)
  python tools/dataset_converters/build_lt_split.py voc data/VOCdevkit/VOC2012 \
      --image-set trainval --out data/VOCdevkit/my_mlt

  # COCO-style instances JSON (any categories)
  python tools/dataset_converters/build_lt_split.py coco \
      data/coco/annotations/instances_train2017.json --max 1200 --out data/coco/my_mlt

  # an annotation file the project's datasets read (OpenMMLab 2.0 JSON or
  # "<image> <label> ..." text with --classes)
  python tools/dataset_converters/build_lt_split.py ann my_full_train.json --max 500 --out data/mine/mlt

  # the released VOC-MLT, exactly, from the shipped VOC2012 trainval label
  # table (a LabelTable .npz; dab_mm/datasets/annotations/README.md)
  python tools/dataset_converters/build_lt_split.py npz \
      dab_mm/datasets/annotations/voc2012_trainval_labels.npz --out work_dirs/voc_mlt_rebuilt

  # the same from the DB-Loss repository's own table, if you have it
  python tools/dataset_converters/build_lt_split.py terse terse_gt_2012.pkl --out work_dirs/voc_mlt_rebuilt

Writes to --out, every file named after the split (--name, default train),
so that a training and a test split can share one folder: <name>.json
(OpenMMLab 2.0 annotation file for MLTDataset / VOCMLT / COCOMLT /
mmpretrain's MultiLabelDataset), <name>_split.json (targets, counts, visiting
order, shortfalls, parameters), <name>_stats.json, <name>_count_histogram.png
and <name>_cooccurrence.png; with --write-rest also <name>_rest.json (the
labelled images left out). With --convert-only the whole table is written as
<name>.json, unsampled (e.g. for a test set), with its statistics and plots.
The last line lists every file written.
"""
import argparse
import json
import os
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

from dab_mm.analysis import describe, write_dataset_statistics  # noqa: E402
from dab_mm.datasets.lt_split import build_long_tailed_split  # noqa: E402
from dab_mm.datasets.mlt_annotations import (  # noqa: E402
    dump_annotation, read_annotation_table, read_coco_table, read_npz_table,
    read_terse_table, read_voc_table)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('source', choices=['voc', 'coco', 'ann', 'npz',
                                           'terse'], help='input format')
    parser.add_argument('path', help='VOC year folder, COCO instances JSON, '
                        'annotation file, label table .npz or terse_gt '
                        'pickle')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--name', default='train',
                        help='stem of the annotation file (default: train)')
    parser.add_argument('--classes', help='file with one class name per '
                        'line (ann text lists without names; voc/terse with '
                        'other classes than the 20 VOC ones)')
    parser.add_argument('--image-set', default='trainval',
                        help='voc: id list in ImageSets/Main, or a file')
    parser.add_argument('--img-prefix', help='coco: folder put before each '
                        'file_name (default: train2017 for '
                        'instances_train2017.json)')
    parser.add_argument('--path-format', default='VOC2012/JPEGImages/{}.jpg',
                        help='terse: image path of an id')
    parser.add_argument('--b', type=float, default=6.0, help='Pareto shape')
    parser.add_argument('--max', type=int, default=800, dest='max_count',
                        help='target count of the first class')
    parser.add_argument('--min', type=int, default=1, dest='min_count',
                        help='lower end of the target scale')
    parser.add_argument('--tail', type=float, default=0.99,
                        help='upper Pareto quantile')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--head-thr', type=int, default=100,
                        help='head classes: count >= this')
    parser.add_argument('--tail-thr', type=int, default=20,
                        help='tail classes: count < this')
    parser.add_argument('--write-rest', action='store_true',
                        help='also write the labelled images left out')
    parser.add_argument('--convert-only', action='store_true',
                        help='write the whole table, no long-tailed sampling')
    return parser.parse_args(argv)


def read_classes(path):
    if path is None:
        return None
    names = [x.strip() for x in open(path) if x.strip()]
    if not names:
        raise SystemExit(f'{path}: no class names.')
    return names


def read_table(args):
    classes = read_classes(args.classes)
    if args.source == 'voc':
        kw = {} if classes is None else dict(classes=classes)
        return read_voc_table(args.path, args.image_set, **kw)
    if args.source == 'coco':
        return read_coco_table(args.path, args.img_prefix, classes)
    if args.source == 'ann':
        return read_annotation_table(args.path, classes)
    if args.source == 'npz':
        if classes is not None:
            raise SystemExit('--classes does not apply to npz: the table '
                             'holds its class names.')
        return read_npz_table(args.path)
    return read_terse_table(args.path, classes, args.path_format)


def main(argv=None):
    args = parse_args(argv)
    table = read_table(args)
    os.makedirs(args.out, exist_ok=True)
    ann_path = osp.join(args.out, f'{args.name}.json')
    written = [ann_path]
    if args.convert_only:
        dump_annotation(ann_path, table.classes, table.records(),
                        source=table.source)
        rows = list(range(len(table.img_paths)))
    else:
        split = build_long_tailed_split(
            table.labels, b=args.b, max_count=args.max_count,
            min_count=args.min_count, tail=args.tail, seed=args.seed)
        rows = split.indices
        groups = split.groups(args.head_thr, args.tail_thr)
        params = dict(split.params, head_thr=args.head_thr,
                      tail_thr=args.tail_thr)
        dump_annotation(
            ann_path, table.classes, table.records(rows), split='train',
            source=f'long-tailed split of {table.source} '
            '(tools/dataset_converters/build_lt_split.py)',
            split_params=params, class_counts=split.counts.tolist(),
            groups=groups)
        report = dict(
            source=table.source, num_images=len(rows),
            num_source_images=len(table.img_paths), params=params,
            classes=list(table.classes),
            visit_order=split.visit_order.tolist(),
            targets=split.targets.tolist(), counts=split.counts.tolist(),
            source_counts=table.labels.sum(0).tolist(), groups=groups,
            shortfalls={table.classes[c]: dict(target=t, available=a)
                        for c, (t, a) in split.shortfalls.items()})
        written.append(osp.join(args.out, f'{args.name}_split.json'))
        with open(written[-1], 'w') as f:
            json.dump(report, f, indent=1)
        for c, (t, a) in split.shortfalls.items():
            print(f'Warning: class {table.classes[c]!r} wants {t} images but '
                  f'the source has only {a}; all of them were taken. Lower '
                  '--max or use a larger source.')
        if args.write_rest:
            chosen = set(rows)
            rest = [r for r in range(len(table.img_paths)) if r not in chosen
                    and table.labels[r].any()]
            written.append(osp.join(args.out, f'{args.name}_rest.json'))
            dump_annotation(written[-1], table.classes, table.records(rest),
                            source=f'labelled images of {table.source} not '
                            f'in {args.name}.json')
    stats, paths = write_dataset_statistics(
        table.labels[rows], table.classes, args.out, args.head_thr,
        args.tail_thr, prefix=f'{args.name}_')
    print(describe(stats))
    print('Written: ' + ', '.join(written + paths))


if __name__ == '__main__':
    main()
