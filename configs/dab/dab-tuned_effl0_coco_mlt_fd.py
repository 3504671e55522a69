_base_ = './dab_effl0_coco_mlt_fd.py'

# DAB tuned on the COCO-MLT-FD validation split by
# tools/analysis_tools/tune.py (the study in docs/mlt_fd.md, record in
# results/coco_mlt_fd/tuning): DAB's lr 3.2 (stage 1: 0.4/0.8/1.6/3.2/6.4
# gave 77.01/84.82/90.39/92.78/84.50), gamma- 0 at that lr (stage 2:
# 0/1/2/3/4 gave 93.90/93.63/93.72/92.78/92.64) and mu 5, the paper's, at
# lr 3.2, gamma- 0 (its mu stage: 1/2/5/10 gave 93.44/93.77/93.97/93.77). One
# seed each; the 5-seed test runs are in results/coco_mlt_fd.
model = dict(head=dict(loss=dict(gamma_neg=0, mu=5)))
optim_wrapper = dict(optimizer=dict(lr=3.2))
