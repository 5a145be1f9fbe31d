"""The article's toy network (4 inputs, 3 hidden sigmoid units, 1 output), five ways.

- networks: numpy, torch as the article wrote it (defects marked), torch fixed, autograd, nn+optim.
- code: the code each implementation runs, aligned numpy beside torch.
- figures: loss curves and comparisons. speed: numpy vs torch timing.
- playground: a 2-D dataset and a small network with a live decision boundary.
"""
