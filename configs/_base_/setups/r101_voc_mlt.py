# The paper's setup on VOC-MLT: ResNet-101 at 448 px, SGD, 100 epochs.
_base_ = [
    '../models/resnet101_multilabel.py',
    '../datasets/voc_mlt_448.py',
    '../schedules/sgd_step_100e.py',
    '../default_runtime.py',
]
model = dict(head=dict(num_classes=20))
