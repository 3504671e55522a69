_base_ = './dab_effl0_voc_mlt_fd.py'

# DAB tuned on the VOC-MLT-FD validation split: its lr, then gamma- and
# then mu chosen by tools/analysis_tools/tune.py (the study in
# docs/mlt_fd.md, record in results/voc_mlt_fd/tuning). Until the tuning
# stages have chosen them, the paper's values (gamma- 3, mu 5), i.e. the
# same model as dab_effl0_voc_mlt_fd.py.
