"""PyTorch Explorer: the logic behind the Streamlit pages, with no Streamlit import.

Modules (one concept each):
- devices: which devices exist and which one "auto" means.
- data: digits from the bundled sample, the article's PNG folders, IDX files, CSVs, MNIST.
- models: the article's digit MLP, checkpoints (saved and loaded with weights_only=True).
- training: the digit trainer as a generator of progress events.
- safe_eval: a small, safe expression language over named tensors (never eval).
- cli: `python -m pytorch_explorer ...`.
"""

__version__ = "0.1.0"
