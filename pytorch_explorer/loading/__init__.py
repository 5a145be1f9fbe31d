"""Data loading on the digits: Dataset, Sampler and DataLoader, and what one epoch draws.

- `datasets`: `DigitsDataset` (a `torch.utils.data.Dataset` as a learner writes one), `collate_digits`
  (a custom collate_fn), the training split of the digits and an imbalanced version of it;
- `samplers`: the sampler choices (`SamplerSpec`), `build_sampler`, `epoch_indices` (the batches of one
  epoch, deterministic for a seed: every sampler gets its own `torch.Generator`), and the article's
  `rng.choice` batches;
- `coverage`: how often each sample was drawn (`coverage_stats`), its expected value, class balance per batch;
- `timing`: one epoch of a DataLoader against tensors kept on the device, as a generator of timing events;
- `figures`: the Plotly pictures of an epoch and of the timings;
- `code`: the runnable PyTorch code the page shows for its current settings.
"""
