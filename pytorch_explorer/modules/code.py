"""The PyTorch code the nn modules page shows, with the learner's current model and settings.

``model_code`` builds the model, prints it, lists its parameters and state_dict, records the shape
after each layer with forward hooks and compares train() with eval(); ``toy_module_code`` is the
article's network as an nn.Module subclass beside its nn.Sequential twin. A test runs both and checks
they reproduce the package's numbers (the page never shows code that lies).
"""

from __future__ import annotations

from pytorch_explorer.modules.custom import CLASS_SOURCE, NAME_MAP, SEQUENTIAL_SOURCE
from pytorch_explorer.modules.layers import LayerSpec
from pytorch_explorer.toy.settings import ARTICLE_X

HOOK_CODE = """shapes = []
def record_shape(layer, inputs, output):  # called after each layer's forward
    shapes.append((type(layer).__name__, tuple(inputs[0].shape), tuple(output.shape)))
    print(f"{type(layer).__name__:12} {tuple(inputs[0].shape)} -> {tuple(output.shape)}")

handles = [layer.register_forward_hook(record_shape) for layer in model]
with torch.no_grad():
    output = model(x)
for handle in handles:
    handle.remove()  # a hook stays on its layer until removed"""


def sequential_code(layers: list[LayerSpec]) -> str:
    body = "".join(f"    nn.{spec.call()},\n" for spec in layers)
    return f"model = nn.Sequential(\n{body})"


def model_code(layers: list[LayerSpec], input_shape: tuple[int, ...], seed: int = 0, training: bool = True) -> str:
    """Runnable code: the model, print, parameters, state_dict, shapes with hooks, train() vs eval()."""
    shape = ", ".join(str(d) for d in input_shape)
    has_norm = any(spec.kind.startswith("BatchNorm") for spec in layers)
    mode = "model.train()" if training else "model.eval()"
    restart = ("model.load_state_dict(fresh)  # start again from the fresh model: the train() pass above "
               "updated BatchNorm's running statistics\n") if has_norm and training else ""
    return f"""import math

import torch
from torch import nn

{sequential_code(layers)}
print(model)

# Starting weights from a generator of our own (not the global seed), from the distribution PyTorch's
# default initialisation uses for Linear and Conv2d: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
g = torch.Generator().manual_seed({int(seed)})
with torch.no_grad():
    for layer in model.modules():
        if isinstance(layer, (nn.Linear, nn.Conv2d)):
            bound = 1 / math.sqrt(layer.weight[0].numel())  # fan_in: the inputs of one output unit
            layer.weight.uniform_(-bound, bound, generator=g)
            layer.bias.uniform_(-bound, bound, generator=g)
fresh = {{key: value.clone() for key, value in model.state_dict().items()}}

# Each parameter: name, shape, number of values
for name, p in model.named_parameters():
    print(f"{{name:16}} {{str(tuple(p.shape)):16}} {{p.numel():>12,}}")
total = sum(p.numel() for p in model.parameters())
print(f"total: {{total:,}} parameters")

# state_dict(): the parameters and the buffers (saved, not learned: BatchNorm's running statistics)
parameter_names = {{name for name, _ in model.named_parameters()}}
for key, value in model.state_dict().items():
    print(f"{{key:24}} {{'parameter' if key in parameter_names else 'buffer':10}} {{tuple(value.shape)}}")

# The output shape after each layer, written down by a forward hook on every layer
x = torch.randn({shape}, generator=g)  # the input: shape ({shape})
{mode}
{HOOK_CODE}

# train() vs eval(): the same input, two outputs (Dropout and BatchNorm behave differently)
{restart}model.train()  # Dropout zeroes with probability p and scales by 1/(1-p); BatchNorm uses batch statistics
with torch.no_grad():
    output_train = model(x)
model.eval()  # Dropout does nothing; BatchNorm uses its running statistics
with torch.no_grad():
    output_eval = model(x)
print("largest difference between train() and eval():", (output_train - output_eval).abs().max().item())
"""


def toy_module_code(hidden: int = 3, seed: int = 0) -> str:
    """The article's network as a class and as nn.Sequential, with the same weights, compared on X."""
    loads = "\n".join(f'    "{name}": twin.state_dict()["{twin}"],' for name, twin in NAME_MAP.items())
    return f"""import numpy as np
import torch
from torch import nn


{CLASS_SOURCE}

hidden, seed = {int(hidden)}, {int(seed)}
{SEQUENTIAL_SOURCE}

# The same weights in both: drawn as the article's numpy code draws them (np.random.uniform)
rng = np.random.RandomState(seed)
wh, bh = rng.uniform(size=(4, hidden)), rng.uniform(size=(1, hidden))
wout, bout = rng.uniform(size=(hidden, 1)), rng.uniform(size=(1, 1))
twin = twin.double()
with torch.no_grad():  # nn.Linear keeps its weight as (out, in): the transpose of wh
    twin[0].weight.copy_(torch.from_numpy(wh.T))
    twin[0].bias.copy_(torch.from_numpy(bh[0]))
    twin[2].weight.copy_(torch.from_numpy(wout.T))
    twin[2].bias.copy_(torch.from_numpy(bout[0]))
model = ToyNet(4, hidden, 1).double()
model.load_state_dict({{
{loads}
}})

print([name for name, _ in model.named_parameters()])  # the attribute names
print([name for name, _ in twin.named_parameters()])   # Sequential's numbers
print([tuple(p.shape) for p in model.parameters()])

X = torch.tensor({ARTICLE_X}, dtype=torch.float64)
with torch.no_grad():
    output_module, output_twin = model(X), twin(X)
print(output_module.ravel(), output_twin.ravel())
print("largest difference:", (output_module - output_twin).abs().max().item())
"""
