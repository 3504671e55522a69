_base_ = './dab_effl0_voc_mlt_fd.py'

# DAB tuned on the VOC-MLT-FD validation split by
# tools/analysis_tools/tune.py (the study in docs/mlt_fd.md, record in
# results/voc_mlt_fd/tuning): DAB's lr 3.2 (stage 1, validation mAP 87.12),
# gamma- 1 at that lr (stage 2: 0/1/2/3/4 gave 90.17/90.95/89.48/89.62/84.93)
# and mu 2 at lr 3.2, gamma- 1 (stage 3: 1/2/5/10 gave
# 89.00/91.16/90.95/88.97). One seed each; the 5-seed test runs are in
# results/voc_mlt_fd.
model = dict(head=dict(loss=dict(gamma_neg=1, mu=2)))
optim_wrapper = dict(optimizer=dict(lr=3.2))
