"""The PyTorch code of the playground's current network and training loop, runnable as shown.

It draws the same data (``make_problem`` and ``split``), the same starting weights (one ``torch.Generator``)
and the same mini-batches as ``PlaygroundTrainer``, so after N epochs its loss is the trainer's after N epochs
(a test runs it).
"""

from __future__ import annotations

from pytorch_explorer.playground.config import PlaygroundConfig
from pytorch_explorer.playground.data import FEATURE_CODE

MODULE_CODE = {"tanh": "nn.Tanh()", "relu": "nn.ReLU()", "sigmoid": "nn.Sigmoid()", "linear": "nn.Identity()"}


def playground_code(c: PlaygroundConfig, epochs: int = 100) -> str:
    """A script that builds the network of `c` and trains it for `epochs` epochs, printing the losses."""
    widths = [len(c.features), *c.layers]
    hidden = "".join(f"    nn.Linear({widths[i]}, {n}), {MODULE_CODE[c.activation]},\n" for i, n in enumerate(c.layers))
    columns = ", ".join(FEATURE_CODE[f] for f in c.features)
    loss_fn = "nn.BCEWithLogitsLoss()  # classification: labels 0/1, the output is a logit" if c.classification \
        else "nn.MSELoss()  # regression: targets in [-1, 1]"
    optimizer = "Adam" if c.optimizer == "adam" else "SGD"
    if c.regularization == "none" or c.reg_rate == 0:
        penalty = ""
    else:
        term = "w.abs().sum()" if c.regularization == "L1" else "(w * w).sum()"
        penalty = (f"        # {c.regularization} regularisation on the weights (not the biases)\n"
                   f"        loss = loss + {c.reg_rate!r} * sum({term} for w in weights)\n")
    return (
        "import torch\n"
        "from torch import nn\n\n"
        "from pytorch_explorer.playground.data import make_problem, split\n\n"
        f"X, y = make_problem({c.problem!r}, points={c.points}, noise={c.noise!r}, seed={c.seed})\n"
        f"(X_train, y_train), (X_test, y_test) = split(X, y, train_ratio={c.train_ratio!r}, seed={c.seed})\n\n\n"
        "def features(X):\n"
        f"    \"\"\"The inputs the network sees: {', '.join(c.features)}.\"\"\"\n"
        "    x1, x2 = X[:, 0], X[:, 1]\n"
        f"    return torch.stack([{columns}], dim=1)\n\n\n"
        "inputs_train, inputs_test = features(torch.from_numpy(X_train)), features(torch.from_numpy(X_test))\n"
        "targets_train, targets_test = torch.from_numpy(y_train), torch.from_numpy(y_test)\n\n"
        f"generator = torch.Generator().manual_seed({c.seed})  # the starting weights and the batches\n"
        "model = nn.Sequential(\n"
        f"{hidden}"
        f"    nn.Linear({widths[-1]}, 1),\n"
        ")\n"
        "weights = [m.weight for m in model if isinstance(m, nn.Linear)]\n"
        "for layer in model:\n"
        "    if isinstance(layer, nn.Linear):\n"
        "        nn.init.xavier_uniform_(layer.weight, generator=generator)\n"
        "        nn.init.zeros_(layer.bias)\n"
        f"loss_fn = {loss_fn}\n"
        f"optimizer = torch.optim.{optimizer}(model.parameters(), lr={c.lr!r})\n\n"
        f"for epoch in range({epochs}):\n"
        "    order = torch.randperm(len(inputs_train), generator=generator)\n"
        f"    for start in range(0, len(order), {c.batch_size}):\n"
        f"        batch = order[start:start + {c.batch_size}]\n"
        "        optimizer.zero_grad()\n"
        "        loss = loss_fn(model(inputs_train[batch]).squeeze(1), targets_train[batch])\n"
        f"{penalty}"
        "        loss.backward()\n"
        "        optimizer.step()\n\n"
        "with torch.no_grad():\n"
        "    train_loss = loss_fn(model(inputs_train).squeeze(1), targets_train).item()\n"
        "    test_loss = loss_fn(model(inputs_test).squeeze(1), targets_test).item()\n"
        f"print(f\"after {epochs} epochs: training loss {{train_loss:.4f}}, test loss {{test_loss:.4f}}\")\n"
    )
