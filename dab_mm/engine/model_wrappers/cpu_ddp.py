"""DistributedDataParallel that also works for CPU modules (gloo)."""
import torch
from mmengine.model import MMDistributedDataParallel
from mmengine.registry import MODEL_WRAPPERS


# Registered in mmengine's ROOT registry: the Runner looks wrappers up there,
# and mmpretrain's child registry fails its issubclass() check.
@MODEL_WRAPPERS.register_module()
class CPUCompatibleDDP(MMDistributedDataParallel):
    """:class:`MMDistributedDataParallel` that drops ``device_ids`` and
    ``output_device`` when the module lives on the CPU.

    mmengine always passes ``device_ids=[LOCAL_RANK]``, which torch's DDP
    rejects for CPU modules. ``tools/train.py`` selects this wrapper for
    distributed runs without CUDA; on GPUs it behaves exactly like its parent.

    Args:
        channels_last (bool): Convert the module to the ``channels_last``
            memory format before wrapping (DDP must see the converted
            parameters; ``tools/train.py --channels-last`` sets it).
            Defaults to False.
    """

    def __init__(self, module, channels_last: bool = False, **kwargs):
        if channels_last:
            module = module.to(memory_format=torch.channels_last)
        if next(module.parameters()).device.type == 'cpu':
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
        super().__init__(module=module, **kwargs)
