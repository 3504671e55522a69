"""Re-derive the reference facts shipped in dab_mm/datasets/annotations
(mlt_reference.json and voc2012_trainval_labels.npz) from copies of the
released VOC-MLT / COCO-MLT files:

  python tools/dataset_converters/derive_reference_facts.py COPIES_DIR

COPIES_DIR holds voc/{img_id.txt,class_freq.pkl,class_split.pkl,
terse_gt_2012.pkl} and coco/{img_id.pkl,class_freq.pkl,class_split.pkl}
(from the DistributionBalancedLoss repository's appendix/) and
cprfl/{voc,coco}_lt_{train,test}.txt (from the CPRFL repository's data/);
the exact origin of each file is listed in
dab_mm/datasets/annotations/README.md. Those files are not shipped: only the
facts derived here are (class counts, groups, label digests, the VOC2012
trainval label table).
"""
import argparse
import os.path as osp
import sys

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, REPO)

from dab_mm.datasets.mlt_reference import (  # noqa: E402
    ANNOTATION_DIR, derive_mlt_reference)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('copies_dir', help='folder with voc/, coco/, cprfl/')
    parser.add_argument('--out', default=ANNOTATION_DIR,
                        help='output folder (default: the package\'s '
                        'annotations folder)')
    args = parser.parse_args(argv)
    for name, path in derive_mlt_reference(args.copies_dir, args.out).items():
        print(f'{name}: {path}')


if __name__ == '__main__':
    main()
