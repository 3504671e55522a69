#!/usr/bin/env bash
# Usage: tools/dist_test.sh CONFIG CHECKPOINT NUM_PROCESSES [test.py args...]
# One node: tools/dist_test.sh configs/dab/dab_r101_coco_mlt.py work_dirs/x/epoch_100.pth 8
# Several nodes: set NNODES, NODE_RANK, MASTER_ADDR (and PORT) on each node.
# Without CUDA the processes use the gloo backend on CPU.
CONFIG=$1
CHECKPOINT=$2
GPUS=$3
NNODES=${NNODES:-1}
NODE_RANK=${NODE_RANK:-0}
PORT=${PORT:-29500}
MASTER_ADDR=${MASTER_ADDR:-"127.0.0.1"}
PYTHON=${PYTHON:-python}

# a missing config stops here, before the processes start, naming the
# closest configs
${PYTHON:-python} "$(dirname "$0")/preflight.py" "${CONFIG}" || exit $?

PYTHONPATH="$(dirname $0)/..":$PYTHONPATH \
OMP_NUM_THREADS=${OMP_NUM_THREADS:-1} \
$PYTHON -m torch.distributed.run \
    --nnodes=$NNODES \
    --node_rank=$NODE_RANK \
    --master_addr=$MASTER_ADDR \
    --nproc_per_node=$GPUS \
    --master_port=$PORT \
    $(dirname "$0")/test.py \
    $CONFIG $CHECKPOINT \
    --launcher pytorch ${@:4}
