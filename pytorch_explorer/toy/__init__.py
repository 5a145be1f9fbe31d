"""The article's toy network (4 inputs, 3 hidden sigmoid units, 1 output), five ways.

Read in this order, like a lesson:

- settings: the article's data, the settings of a run, the shared starting weights.
- backprop: versions 1-3, hand-written back-propagation in numpy and in PyTorch side by side,
  the article's defects marked ``# DEFECT`` where they stand.
- autograd_nn: versions 4 and 5, ``loss.backward()`` and ``nn.Sequential`` + ``torch.optim``.
- training: one epoch loop per version, training as a generator of progress, results.
- defects: the article's defects listed and measured. gradcheck: hand-written vs autograd gradients.
- code: the code each version runs, as the page shows it (a test runs it).
- figures: loss curves and comparisons. speed: numpy vs torch timing.
- runs: the page's trainings as runs of the run store (written after training, read back after a reload).
"""
