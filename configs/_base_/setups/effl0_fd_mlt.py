# FD-MLT fine-tuned on a CPU: ImageNet-pretrained EfficientNet-Lite0 at 128 px, 4 epochs.
_base_ = [
    '../models/efficientnet-lite0_multilabel.py',
    '../datasets/fd_mlt_effl_128.py',
    '../schedules/sgd_step_cpu_finetune.py',
    '../default_runtime.py',
]
model = dict(head=dict(num_classes=20))
