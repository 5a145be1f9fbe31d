"""torch.nn modules, taken apart: build a model from a list of layers and look inside it.

(Named ``modules`` and not ``nn`` so that it is never confused with ``torch.nn``.) Read in this order:

- layers: the layers a learner may pick (Linear, Conv2d, activations, Dropout, BatchNorm, Flatten,
  MaxPool2d) and their arguments, a layer list as plain data (``LayerSpec``), as table rows, as a
  compact string for the URL (parsed strictly, never evaluated), the presets, and ``build_model``.
- shapes: the input shape a learner types, the size budget, and the shape of every layer's output
  worked out on the "meta" device (no memory) before anything real is built; a mismatch is an
  ``ArchitectureError`` naming the layer and the shapes, usually with a fix.
- report: the real model: ``print(model)``, each parameter, ``state_dict()`` (parameters vs
  buffers), the output shape after each layer recorded by forward hooks.
- modes: ``train()`` vs ``eval()`` on the same input: what Dropout and BatchNorm do in each.
- custom: the article's 4-3-1 network as an ``nn.Module`` subclass beside its ``nn.Sequential`` twin.
- code: the PyTorch code the page shows (a test runs it).
"""
