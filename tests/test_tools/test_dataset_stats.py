import json
import os.path as osp
import subprocess
import sys

from tests.fake_data import REPO


def test_stats_and_plots_on_small_file(tmp_path):
    ann = tmp_path / 'train.txt'
    # 5 images, classes a b c: counts [4, 2, 1]; b always with a
    ann.write_text('1.jpg a b\n2.jpg a\n3.jpg a b c\n4.jpg a\n5.jpg\n')
    (tmp_path / 'classes.txt').write_text('a\nb\nc\n')
    out = tmp_path / 'out'
    proc = subprocess.run(
        [sys.executable, 'tools/analysis_tools/dataset_stats.py', str(ann),
         '--classes', str(tmp_path / 'classes.txt'), '--out', str(out),
         '--head-thr', '4', '--tail-thr', '2'],
        cwd=REPO, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    stats = json.loads((out / 'stats.json').read_text())
    assert stats['num_images'] == 5
    assert stats['class_counts'] == [4, 2, 1]
    assert stats['groups'] == {'head': [0], 'middle': [1], 'tail': [2]}
    assert stats['labels_per_image'] == dict(mean=1.4, min=0, max=3,
                                             histogram=[1, 2, 1, 1])
    assert stats['cooccurrence'] == [[4, 2, 1], [2, 2, 1], [1, 1, 1]]
    assert stats['conditional_probability'][1] == [1.0, 1.0, 0.5]
    assert stats['imbalance'] == 4.0
    for png in ('count_histogram.png', 'cooccurrence.png'):
        assert osp.getsize(out / png) > 5000
