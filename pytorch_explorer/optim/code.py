"""The PyTorch code that reproduces a race, with the learner's settings: shown by the page, run by the tests.

It writes the loop out in PyTorch's five canonical lines, so what the learner reads is what ran:

    opt.zero_grad(); loss = f(x, y); loss.backward(); opt.step(); sched.step()
"""

from __future__ import annotations

from collections.abc import Sequence

from pytorch_explorer.optim.optimizers import OptimizerSpec
from pytorch_explorer.optim.schedulers import SchedulerSpec, scheduler_step_line
from pytorch_explorer.optim.surfaces import Surface


def race_code(surface: Surface, specs: Sequence[OptimizerSpec], start: Sequence[float], steps: int,
              scheduler: SchedulerSpec | None = None) -> str:
    """A runnable script: every optimizer from `start` for `steps` steps; `paths[title]` holds its points."""
    scheduler = scheduler or SchedulerSpec()
    makers = "\n".join(f"    {spec.title!r}: lambda params: {spec.constructor('params')}," for spec in specs)
    imports = "import torch"
    if "F." in surface.source:
        imports += "\nimport torch.nn.functional as F"
    lines = [
        imports,
        "",
        "",
        f"def f(x, y):  # the surface: {surface.title}",
        f"    return {surface.source}",
        "",
        "",
        f"steps = {int(steps)}",
        f"start = [{float(start[0])!r}, {float(start[1])!r}]",
        "optimizers = {",
        makers,
        "}",
        "paths = {}",
        "for name, make_optimizer in optimizers.items():",
        "    p = torch.tensor(start, dtype=torch.float64, requires_grad=True)  # the parameter: [x, y]",
        "    opt = make_optimizer([p])",
    ]
    constructor = scheduler.constructor(int(steps))
    if constructor:
        lines.append(f"    sched = {constructor}")
    lines += [
        "    path = [p.tolist()]",
        "    for step in range(1, steps + 1):",
        "        opt.zero_grad()",
        "        loss = f(p[0], p[1])",
        "        loss.backward()",
        "        opt.step()",
    ]
    step_line = scheduler_step_line(scheduler)
    if step_line:
        lines.append(f"        {step_line}")
    lines += [
        "        if not torch.isfinite(p).all():",
        "            print(f'{name}: diverged at step {step}')",
        "            break",
        "        path.append(p.tolist())",
        "    paths[name] = path",
        "    x, y = path[-1]",
        "    print(f'{name}: after {len(path) - 1} steps at ({x:.4f}, {y:.4f}), state {dict(opt.state[p])}')",
    ]
    return "\n".join(lines) + "\n"
