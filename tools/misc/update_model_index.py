"""Write every method folder's ``metafile.yml``, the recorded-results block of
its ``README.md`` and the root ``model-index.yml``, from the configs in the
folders and the studies recorded in ``results/<study>/results.json``.

  python tools/misc/update_model_index.py          # rewrite the files
  python tools/misc/update_model_index.py --check  # exit 1 if any is stale

Run it after a config is added or a study is re-recorded; the tests run it
with ``--check``, so a metafile or README cannot drift from the configs or
the recorded numbers. A README's results block lies between the lines
``<!-- results -->`` and ``<!-- /results -->``; the rest is written by hand.
"""
import argparse
import glob
import json
import os.path as osp
import sys

import yaml

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))

# folder -> collection name, paper (title, URL) or None for the plain baseline
METHODS = {
    'dab': ('DAB', 'Study on Multi-label Image Classification Based on '
            'Sample Distribution Loss',
            'https://doi.org/10.11896/jsjkx.210300267'),
    'erm': ('ERM', None, None),
    'rw': ('RW', 'Distribution-Balanced Loss for Multi-Label Classification '
           'in Long-Tailed Datasets', 'https://arxiv.org/abs/2007.09654'),
    'rs': ('RS', 'Relay Backpropagation for Effective Learning of Deep '
           'Convolutional Neural Networks', 'https://arxiv.org/abs/1512.05830'),
    'focal': ('Focal', 'Focal Loss for Dense Object Detection',
              'https://arxiv.org/abs/1708.02002'),
    'cbfocal': ('CB-Focal', 'Class-Balanced Loss Based on Effective Number of '
                'Samples', 'https://arxiv.org/abs/1901.05555'),
    'dbfocal': ('DB-Focal', 'Distribution-Balanced Loss for Multi-Label '
                'Classification in Long-Tailed Datasets',
                'https://arxiv.org/abs/2007.09654'),
    'asl': ('ASL', 'Asymmetric Loss For Multi-Label Classification',
            'https://arxiv.org/abs/2009.14119'),
    'mlgcn': ('ML-GCN', 'Multi-Label Image Recognition with Graph '
              'Convolutional Networks', 'https://arxiv.org/abs/1904.03582'),
}
# the setup part of a config name -> (training data, architecture)
SETUPS = {
    'r101_voc_mlt': ('VOC-MLT', 'ResNet-101', 448),
    'r101_coco_mlt': ('COCO-MLT', 'ResNet-101', 448),
    'r101_custom_mlt': ('your own dataset', 'ResNet-101', 448),
    'convnext-tiny_voc_mlt': ('VOC-MLT', 'ConvNeXt-T', 448),
    'r18w32_fd_mlt': ('FD-MLT', 'ResNet-18, half width, from scratch', 64),
    'effl0_fd_mlt': ('FD-MLT', 'EfficientNet-Lite0, ImageNet-pretrained', 128),
    'effl0_voc_mlt_fd': ('VOC-MLT-FD', 'EfficientNet-Lite0, ImageNet-pretrained',
                         '128 x 192'),
    'effl0_coco_mlt_fd': ('COCO-MLT-FD',
                          'EfficientNet-Lite0, ImageNet-pretrained', 128),
}
COLUMNS = (('mAP', 'mAP'), ('mAP_head', 'head'), ('mAP_middle', 'middle'),
           ('mAP_tail', 'tail'))
START, END = '<!-- results -->', '<!-- /results -->'


def setup_of(name):
    for setup in SETUPS:
        if name.endswith('_' + setup):
            return setup
    raise SystemExit(f'{name}: the config name does not end in a known setup '
                     f'({", ".join(SETUPS)}); add it to SETUPS in {__file__}.')


def load_studies(repo):
    """``{config name: [(study folder, results.json content), ...]}``, the
    studies in path order (a config can be in several, e.g. a method's
    default in the main comparison and in a sensitivity study)."""
    found = {}
    for path in sorted(glob.glob(osp.join(repo, 'results', '*',
                                          'results.json'))):
        with open(path) as f:
            data = json.load(f)
        study = osp.relpath(osp.dirname(path), repo)
        for name in data['summary']:
            found.setdefault(name, []).append((study, data))
    return found


def folder_configs(repo, folder):
    return sorted(osp.splitext(osp.basename(p))[0] for p in glob.glob(
        osp.join(repo, 'configs', folder, '*.py')))


def metafile(repo, folder, studies):
    collection, title, url = METHODS[folder]
    coll = {'Name': collection,
            'Metadata': {'Training Data': ['VOC-MLT', 'COCO-MLT', 'FD-MLT']},
            'README': f'configs/{folder}/README.md'}
    if title:
        coll['Paper'] = {'Title': title, 'URL': url}
    models = []
    for name in folder_configs(repo, folder):
        data, arch, size = SETUPS[setup_of(name)]
        model = {'Name': name, 'In Collection': collection,
                 'Metadata': {'Training Data': data, 'Architecture': [arch],
                              'Input Size': size}}
        if name in studies:
            model['Results'] = []
            for study, rec in studies[name]:
                row = rec['summary'][name]
                model['Results'].append({
                    'Task': 'Multi-Label Classification', 'Dataset': data,
                    'Metrics': {label if label == 'mAP' else f'mAP ({label})':
                                round(row[key][0], 2)
                                for key, label in COLUMNS if key in row},
                    'Seeds': len(row['seeds']), 'Study': study})
        else:
            model['Results'] = None  # not trained by the project
        model['Config'] = f'configs/{folder}/{name}.py'
        models.append(model)
    text = yaml.safe_dump({'Collections': [coll], 'Models': models},
                          sort_keys=False, allow_unicode=True, width=79)
    return ('# Written by tools/misc/update_model_index.py from the configs '
            'and results/*/results.json.\n' + text)


def _cell(mean_std, one_seed):
    mean, std = mean_std[0], mean_std[1]
    return f'{mean:.2f}' if one_seed else f'{mean:.2f} ± {std:.2f}'


def results_block(repo, folder, studies):
    names = [n for n in folder_configs(repo, folder) if n in studies]
    lines = [START, '']
    if not names:
        lines += ['No config of this folder has been trained by the project '
                  'yet.', '', END]
        return '\n'.join(lines)
    by_study, records = {}, {}
    for name in names:
        for study, rec in studies[name]:
            by_study.setdefault(study, []).append(name)
            records[study] = rec
    for study in sorted(by_study):
        members, rec = by_study[study], records[study]
        if osp.isfile(osp.join(repo, study, 'results.md')):
            where = (f'whole table, plots and per-run provenance in '
                     f'[{study}/results.md](../../{study}/results.md)')
        else:  # a study that spans sessions, recorded run by run
            where = ('a study in progress: the runs recorded so far, '
                     f'per-run provenance in [{study}/results.json]'
                     f'(../../{study}/results.json); its results.md, '
                     'paired tests and plots are written when it ends')
        # one seed has no spread to show: its mean alone
        one_seed = {n: len(rec['summary'][n]['seeds']) == 1 for n in members}
        lines += [f'**`{study}`** (mAP in %, mean ± sample std over seeds' +
                  (', the mean alone for one seed' if any(one_seed.values())
                   else '') + f'; {where}):', '',
                  '| config | seeds | ' + ' | '.join(
                      label for _, label in COLUMNS) + ' |',
                  '|---|---|' + '---|' * len(COLUMNS)]
        for name in members:
            row = rec['summary'][name]
            cells = [_cell(row[k], one_seed[name]) if k in row else '—'
                     for k, _ in COLUMNS]
            lines.append(f'| {name} | {len(row["seeds"])} | ' +
                         ' | '.join(cells) + ' |')
        lines += ['', 'Recorded with (commit and machine of every run in '
                  'results.json):', '', '    ' + rec['command'], '']
    lines.append(END)
    return '\n'.join(lines)


def expected_files(repo):
    """``{path: text}`` of every file this tool writes."""
    studies = load_studies(repo)
    folders = sorted(d for d in (osp.basename(p) for p in glob.glob(
        osp.join(repo, 'configs', '*'))) if d != '_base_' and
        osp.isdir(osp.join(repo, 'configs', d)))
    unknown = sorted(set(folders) - set(METHODS))
    if unknown:
        raise SystemExit(f'configs/{unknown[0]}: a method folder this tool '
                         f'does not know; add it to METHODS in {__file__}.')
    files = {}
    for folder in folders:
        files[osp.join('configs', folder, 'metafile.yml')] = metafile(
            repo, folder, studies)
        readme = osp.join('configs', folder, 'README.md')
        path = osp.join(repo, readme)
        text = open(path).read() if osp.isfile(path) else ''
        if text.count(START) != 1 or text.count(END) != 1:
            raise SystemExit(f'{readme}: needs one line {START} and one line '
                             f'{END} around the recorded results.')
        head, rest = text.split(START)
        tail = rest.split(END)[1]
        files[readme] = head + results_block(repo, folder, studies) + tail
    files['model-index.yml'] = (
        '# Written by tools/misc/update_model_index.py.\nImport:\n' +
        ''.join(f'  - configs/{f}/metafile.yml\n' for f in folders))
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--check', action='store_true',
                        help='write nothing; exit 1 naming stale files')
    parser.add_argument('--repo', default=REPO, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    stale = []
    for rel, text in expected_files(args.repo).items():
        path = osp.join(args.repo, rel)
        old = open(path).read() if osp.isfile(path) else None
        if old == text:
            continue
        stale.append(rel)
        if not args.check:
            with open(path, 'w') as f:
                f.write(text)
    if args.check and stale:
        print('stale (run python tools/misc/update_model_index.py): ' +
              ', '.join(stale))
        return 1
    print(('stale: ' if args.check else 'written: ') +
          (', '.join(stale) or 'none'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
