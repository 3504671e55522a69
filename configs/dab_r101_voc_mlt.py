# The design card's config path: DAB with ResNet-101 at 448 px on
# VOC-MLT, exactly configs/dab/dab_r101_voc_mlt.py (the method folder
# holds every DAB config; this file only inherits it), so that
#   tools/dist_train.sh configs/dab_r101_voc_mlt.py 8
# works as typed.
_base_ = ['./dab/dab_r101_voc_mlt.py']
