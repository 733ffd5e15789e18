"""Photo → base mesh core (pure Python + torch; no Django).

Import submodules directly (``kits.photo.segmentation``, ``reconstruction.core.pipeline``)
so that light users such as the photo checks do not pay for torch.
"""
