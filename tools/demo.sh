#!/usr/bin/env bash
# The main job (make demo): build FD-MLT offline, train DAB on it on the CPU,
# test it and print total / head / middle / tail mAP, then write the
# per-class analysis plots and predict labels for three test images.
# Env: PYTHON (default .venv/bin/python), FASHION_MNIST (a folder with the
# four Fashion-MNIST idx files; default: the Debian package's), WORK_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
WORK_DIR=${WORK_DIR:-work_dirs/demo}
CONFIG=configs/dab_r18w32_fd_mlt.py

step() { printf '\n=== %s (%s)\n' "$1" "$(date +%H:%M:%S)"; }

step "1/5 photo sources"
if [ -z "${FASHION_MNIST:-}" ] && [ ! -d /usr/share/datasets/fashion-mnist ]; then
    if [ "$(id -u)" = 0 ]; then
        apt-get install -y -q dataset-fashion-mnist >/dev/null 2>&1 || {
            apt-get update -q >/dev/null && apt-get install -y -q dataset-fashion-mnist >/dev/null; }
    else
        echo "Fashion-MNIST not found: run 'sudo apt-get install dataset-fashion-mnist'" \
             "or set FASHION_MNIST=DIR (the four idx files)." >&2
        exit 1
    fi
fi
$PYTHON -m pip install -q -r requirements/demo.txt

step "2/5 build FD-MLT in data/fd_mlt"
$PYTHON tools/dataset_converters/build_fd_mlt.py data/fd_mlt \
    ${FASHION_MNIST:+--fashion-mnist "$FASHION_MNIST"}

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
