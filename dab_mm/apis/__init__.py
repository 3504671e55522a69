from .inference import MultiLabelInferencer, list_images

__all__ = ['MultiLabelInferencer', 'list_images']
