"""PyTorch Explorer: the logic behind the Streamlit pages, with no Streamlit import.

One folder a concept, each with a docstring in its `__init__` saying what lives there:

- core: errors a learner can act on, and the devices (CPU, CUDA, MPS) torch sees.
- tensors: the catalogue of torch operations, the safe expression language and its numpy twin,
  making, describing and drawing tensors.
- autograd: the recorded graph of a computation, replayed backwards step by step.
- toy: the article's 4-3-1 network five ways, its code views, speed, and a 2-D playground.
- digits: the article's digit recogniser: data sources, the MLP, training, preprocessing, probing.
- bench: the measured speed figures (`python -m pytorch_explorer bench`).
- cli: `python -m pytorch_explorer ...`.

`docs/architecture.md` says how a training run flows and where to add a page.
"""

__version__ = "0.1.0"
