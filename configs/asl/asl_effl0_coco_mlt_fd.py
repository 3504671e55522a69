_base_ = ['../_base_/setups/effl0_coco_mlt_fd.py', '../_base_/methods/asl.py']

# loss_weight 1/C: the mean over B*C (see the method's fragment)
model = dict(head=dict(loss=dict(
    _base_.asl.loss, loss=dict(_base_.asl.loss.loss, loss_weight=1 / 80))))
