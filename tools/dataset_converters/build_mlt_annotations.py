"""Build the VOC-MLT / COCO-MLT annotation files.

Three sources, one output format (OpenMMLab 2.0 annotation JSON):

  # the files shipped in dab_mm/datasets/annotations, from copies of the
  # released split files (layout in dab_mm/datasets/annotations/README.md)
  python tools/dataset_converters/build_mlt_annotations.py reference \
      COPIES --out dab_mm/datasets/annotations

  # from a raw VOCdevkit (VOC2012 XML for training, VOC2007 test XML)
  python tools/dataset_converters/build_mlt_annotations.py voc \
      data/VOCdevkit --out data/VOCdevkit/mlt

  # from raw COCO-2017 instances JSON
  python tools/dataset_converters/build_mlt_annotations.py coco \
      data/coco --out data/coco/mlt

The raw routes take the training ids of the packaged split unless
--train-ids names a file with one id per line.
"""
import argparse

from dab_mm.datasets.mlt_annotations import (build_coco_mlt_from_json,
                                             build_from_reference,
                                             build_voc_mlt_from_xml)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__)
    parser.add_argument('source', choices=['reference', 'voc', 'coco'])
    parser.add_argument('root', help='the folder of copies of the released '
                        'split files, the VOCdevkit folder or the COCO folder')
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--train-ids', help='file with one training image id '
                        'per line (voc/coco sources)')
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    ids = None
    if args.train_ids:
        ids = [x.strip() for x in open(args.train_ids) if x.strip()]
    if args.source == 'reference':
        outputs = build_from_reference(args.root, args.out)
    elif args.source == 'voc':
        outputs = build_voc_mlt_from_xml(args.root, args.out, ids)
    else:
        outputs = build_coco_mlt_from_json(
            args.root, args.out, [int(i) for i in ids] if ids else None)
    for name, path in outputs.items():
        print(f'{name}: {path}')


if __name__ == '__main__':
    main()
