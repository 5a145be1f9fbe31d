"""PyTorch Explorer: the logic behind the Streamlit pages, with no Streamlit import.

Modules (one concept each):
- devices: which devices exist and which one "auto" means.
- data: digits from the bundled sample, the article's PNG folders, IDX files, CSVs, MNIST.
- models: the article's digit MLP, checkpoints (saved and loaded with weights_only=True).
- training: the digit trainer as a generator of progress events.
- safe_eval: a small, safe expression language over named tensors (never eval).
- tensor_ops: the catalogue of 300+ torch operations with their numpy twins (templates).
- numpy_twin: runs an expression's numpy twin and judges it (equal / close / differs).
- tensor_factory, tensor_info, tensor_figures: making, describing and drawing tensors.
- autograd_graph, autograd_presets, autograd_figures: the recorded graph, replayed backwards.
- cli: `python -m pytorch_explorer ...`.
"""

__version__ = "0.1.0"
