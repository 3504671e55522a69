_base_ = [
    '../_base_/models/resnet101_multilabel.py',
    '../_base_/datasets/voc_mlt_448.py',
    '../_base_/schedules/sgd_step_100e.py',
    '../_base_/default_runtime.py',
    '../_base_/methods/asl.py',
]

# VOC-MLT
# loss_weight 1/C: the mean over B*C (see the method fragment)
model = dict(
    head=dict(
        num_classes=20,
        loss=dict(
            _base_.asl.loss,
            loss=dict(_base_.asl.loss.loss, loss_weight=1.0 / 20))))
