"""PyTorch Explorer: the logic behind the Streamlit pages, with no Streamlit import.

Modules (one concept each):
- devices: which devices exist and which one "auto" means.
- data: digits from the bundled sample, the article's PNG folders, IDX files, CSVs, MNIST.
- models: the article's digit MLP, checkpoints (saved and loaded with weights_only=True).
- training: the digit trainer as a generator of progress events.
- preprocess: a drawing, scan or photo of a digit -> an MNIST-style 28x28 input, stage by stage.
- probe, probe_figures: why a digit model says what it says (saliency, hidden units, weights, mistakes).
- safe_eval: a small, safe expression language over named tensors (never eval).
- tensor_ops: the catalogue of 300+ torch operations with their numpy twins (templates).
- numpy_twin: runs an expression's numpy twin and judges it (equal / close / differs).
- tensor_factory, tensor_info, tensor_figures: making, describing and drawing tensors.
- autograd_graph, autograd_presets, autograd_figures: the recorded graph, replayed backwards.
- toy, toy_code, toy_figures, toy_playground, toy_speed: the article's 4-3-1 network five ways (numpy,
  torch as written, torch fixed, autograd, nn+optim), its gradient check, code views, numpy-vs-torch
  timing, and a 2-D decision-boundary playground.
- cli: `python -m pytorch_explorer ...`.
"""

__version__ = "0.1.0"
