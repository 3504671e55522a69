from .efficientnet_lite import EfficientNetLite, pretrained_weights_path

__all__ = ['EfficientNetLite', 'pretrained_weights_path']
