"""PyTorch Explorer: the logic behind the Streamlit pages, with no Streamlit import.

One folder a concept, each with a docstring in its `__init__` saying what lives there:

- core: errors a learner can act on, the devices (CPU, CUDA, MPS) torch sees, processes, the hard
  budget for what a learner types (bounded), memory given back.
- i18n: the app in English and Chinese (the catalogue, one file a page).
- article: the article itself, section by section in both languages, its snippets as runnable cells.
- tensors: the catalogue of torch operations, the safe expression language and its numpy twin,
  making, describing and drawing tensors.
- autograd: the recorded graph of a computation, replayed backwards step by step.
- optim: torch.optim's optimizers and schedulers stepping over 2-D loss surfaces.
- modules: building an nn.Module from layers: parameters, state_dict, shapes, train() vs eval().
- toy: the article's 4-3-1 network five ways, its code views and speed.
- playground: TensorFlow Playground in PyTorch (features, layers, every unit's output).
- loading: Dataset, Sampler and DataLoader on the digits, one epoch drawn and timed.
- digits: the article's digit recogniser: data sources, the MLP and CNNs, training, preprocessing,
  probing, my digits (the learner's own drawings) and fine-tuning.
- compare: scikit-learn baselines, per-class metrics, embedding maps of what a hidden layer learned.
- runs, jobs: the run store (SQLite + checkpoints) and training as server-side jobs.
- bench: the measured speed figures (`python -m pytorch_explorer bench`).
- cli: `python -m pytorch_explorer ...`.

`docs/architecture.md` says how a training run flows and where to add a page.
"""

__version__ = "0.1.0"
