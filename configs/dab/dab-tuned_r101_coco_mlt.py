_base_ = './dab_r101_coco_mlt.py'

# DAB with the recommended loss setting for COCO-MLT: gamma- 0 (no negative
# focusing), mu 5 (the paper's), the values chosen on the validation split
# of COCO-MLT-FD, the offline proxy with COCO-MLT's own training and test
# label vectors (docs/mlt_fd.md; record in results/coco_mlt_fd/tuning).
# The learning rate and schedule stay the paper's (the proxy's lr belongs to
# its own backbone and batch). Not yet measured on COCO-MLT itself.
model = dict(head=dict(loss=dict(gamma_neg=0.0, mu=5.0)))
