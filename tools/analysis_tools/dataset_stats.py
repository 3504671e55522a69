"""Statistics of a multi-label training annotation file: class counts,
head / middle / tail groups, labels per image and co-occurrence, as JSON and
PNG plots (count histogram with group shading, co-occurrence heatmap).

  python tools/analysis_tools/dataset_stats.py dab_mm/datasets/annotations/voc_mlt_train.json --out work_dirs/voc_mlt_stats
  python tools/analysis_tools/dataset_stats.py my_train.txt --classes classes.txt --out stats/

Any annotation file MLTDataset reads works (OpenMMLab 2.0 JSON, or a text
list); images are not needed.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from dab_mm.analysis import describe, write_dataset_statistics  # noqa: E402
from dab_mm.datasets import MLTDataset  # noqa: E402
from dab_mm.datasets.label_stats import label_matrix  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('ann_file')
    parser.add_argument('--classes', help='class names file (one per line) '
                        'when the annotation file has none')
    parser.add_argument('--out', required=True)
    parser.add_argument('--head-thr', type=int, default=100)
    parser.add_argument('--tail-thr', type=int, default=20)
    args = parser.parse_args(argv)
    ds = MLTDataset(ann_file=args.ann_file, classes=args.classes,
                    check_files=False)
    stats, paths = write_dataset_statistics(
        label_matrix(ds), ds.metainfo['classes'], args.out, args.head_thr,
        args.tail_thr)
    print(describe(stats))
    print('Written: ' + ', '.join(paths))


if __name__ == '__main__':
    main()
