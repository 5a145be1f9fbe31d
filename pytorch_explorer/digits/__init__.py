"""The article's case study: recognising handwritten digits.

- data/: digits from the bundled sample, the article's PNG folders, IDX files, pixel CSVs, and the
  full MNIST downloaded on request (`load_digits(spec)` picks the loader).
- models: the 784-500-10 MLP and its checkpoints (loaded with weights_only=True).
- training/: the trainer as a generator of progress events: the canonical step, the article's loop
  with its defects, the fast path, and the charts.
- preprocess: a drawing, scan or photo -> an MNIST-style 28x28 input, stage by stage.
- probe/: why a model says what it says (saliency, hidden units, weights, mistakes) and its pictures.
- shelf: the models and runs one learner has, shared by the trainer and probe pages.
"""
