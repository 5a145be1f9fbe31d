"""The article's training loop, as written, defects included (each marked `# DEFECT` where it stands).

Transcribed from the article's digit case study with only what no longer runs replaced:
`Variable(...)` (a no-op since PyTorch 0.4) is dropped, `loss.data[0]` is `loss.item()`, and
`eval(dataset_name + '_x')` / `DataFrame.ix` indexing become plain numpy. It yields the same
progress events as the fixed loop (loop.py), through the same RunLog, so that the page can
draw both and the bench can time both. The defects (NOTES.md):

- no `optimizer.zero_grad()`: every step applies the sum of all earlier gradients;
- batches drawn with replacement (`rng.choice(n, batch_size)`);
- steps per epoch counted over the whole CSV (`train.shape[0]`), not the 70 % training split;
- `preproc` divides each batch by its own maximum (already 1.0 after / 255).

It also pays, every step, for work the fixed loop does once: a numpy batch, `torch.from_numpy`
(and on a GPU a copy to it), and `loss.item()` (a device sync).
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import torch
from torch import nn

from pytorch_explorer.digits.data import DigitDataset, split_index
from pytorch_explorer.digits.training.run_log import RunLog, TrainingEvent
from pytorch_explorer.digits.training.config import TrainConfig


def preproc(unclean_batch_x: np.ndarray) -> np.ndarray:
    """The article's preproc."""
    return unclean_batch_x / unclean_batch_x.max()  # DEFECT: divides by the batch's max (already 1.0)


def article_loop(model: nn.Module, dataset: DigitDataset, config: TrainConfig, log: RunLog,
                 device: torch.device) -> Iterator[TrainingEvent]:
    """The article's loop over `config.epochs` epochs, yielding the log's "step" and "epoch" events."""
    log.fast_path = "the article's loop as written, no fast path"
    batch_size = config.batch_size
    rng = np.random.RandomState(config.seed)
    split_size = split_index(len(dataset), config.val_fraction)
    train_x = dataset.images[:split_size].reshape(split_size, -1).astype(np.float32) / 255.0  # numpy, as in the article
    train_y = np.asarray(dataset.labels[:split_size], dtype=np.int64)
    loss_fn = nn.CrossEntropyLoss()
    if config.optimizer == "adam":
        optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    else:
        optimizer = torch.optim.SGD(model.parameters(), lr=config.lr, momentum=config.momentum)
    total_batch = max(1, int(len(dataset) / batch_size))  # DEFECT: train.shape[0], the whole CSV, not the split
    model.train()
    for epoch in range(1, config.epochs + 1):
        log.start_epoch()
        avg_cost = 0.0
        for i in range(total_batch):
            batch_mask = rng.choice(train_x.shape[0], batch_size)  # DEFECT: drawn with replacement
            batch_x = preproc(train_x[batch_mask])
            batch_y = train_y[batch_mask]
            x, y = torch.from_numpy(batch_x).to(device), torch.from_numpy(batch_y).to(device)  # a copy per batch
            pred = model(x)
            loss = loss_fn(pred, y)
            # DEFECT: no optimizer.zero_grad(): backward adds to the gradients of every earlier step
            loss.backward()
            optimizer.step()
            loss_value = loss.item()  # the article's loss.data[0]: a device sync every step
            avg_cost += loss_value / total_batch
            yield from log.add_step(loss_value, (pred.argmax(dim=1) == y).sum(), batch_size, epoch,
                                    last_in_epoch=i == total_batch - 1)
        yield log.end_epoch(epoch, loss=avg_cost)
