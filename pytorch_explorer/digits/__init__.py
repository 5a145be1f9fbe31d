"""The article's case study: recognising handwritten digits.

- data (with png_folder and mnist): digits from the bundled sample, the article's PNG folders,
  IDX files, pixel CSVs, and the full MNIST downloaded on request.
- models: the 784-500-10 MLP and its checkpoints (loaded with weights_only=True).
- training: the trainer as a generator of progress events; training_figures draws it.
- preprocess: a drawing, scan or photo -> an MNIST-style 28x28 input, stage by stage.
- probe, probe_figures: why a model says what it says (saliency, hidden units, weights, mistakes).
"""
