"""torch.optim on 2-D loss surfaces: real optimizers stepping a 2-element parameter, side by side.

- `surfaces`: the loss surfaces (an ill-conditioned quadratic bowl, Rosenbrock, a saddle, Beale,
  Himmelblau) with their minima and plotted regions, and a surface the learner types (through the safe
  expression language, never `eval`);
- `optimizers`: which torch.optim classes race, their settings, and what each keeps in `optimizer.state`;
- `schedulers`: StepLR, CosineAnnealingLR, OneCycleLR, ReduceLROnPlateau, built and stepped one way;
- `trajectory`: the generator that steps one optimizer (`trajectory`) or several in lockstep (`race`),
  yielding a `StepEvent` per step (point, loss, lr, state), and detecting divergence;
- `figures`: Plotly figures (the contour race with its animation, the lr and loss curves) from plain data;
- `code`: the PyTorch code that reproduces a race, shown by the page and run by the tests.
"""
