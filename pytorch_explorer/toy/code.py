"""The code of each toy implementation as text, with the user's settings, for the page to show.

Every string here is a runnable script that reproduces what `pytorch_explorer.toy.training.train` computes
for the same settings (the tests run them and compare). The three hand-written versions are built
from one table of aligned rows (numpy | torch as the article | torch corrected), so the twin-API
view and the code views cannot drift apart.
"""

from __future__ import annotations

import io
import textwrap
import tokenize
from dataclasses import dataclass

from pytorch_explorer.i18n import translate
from pytorch_explorer.toy.autograd_nn import NN_ACTIVATIONS
from pytorch_explorer.toy.settings import ToySettings, check_implementation

DEFECT_NOTES = {
    1: "DEFECT 1: output_layer_input1 skips bout (the output bias is never used)",
    2: "DEFECT 2: bout is updated (summed over all axes) but never used, so it just drifts",
    3: "DEFECT 3: the output's error, one scalar added to every hidden bias",
    4: "the article printed inside the loop (5000 prints); here once, after it",
}
SAME_LABELS = {"=": "identical", "~": "library differs", "!": "DEFECT"}  # aligned_rows' "same" marks, in words


@dataclass(frozen=True)
class CodeRow:
    """One line of the three hand-written versions. None: that version has no such line."""

    numpy: str | None
    article: str | None
    fixed: str | None
    defect: int = 0  # which DEFECT_NOTES entry the article's line carries (0: none)

    def line(self, impl: str) -> str | None:
        return {"numpy": self.numpy, "torch-article": self.article, "torch-fixed": self.fixed}[impl]


def _same(line: str, defect: int = 0) -> CodeRow:
    return CodeRow(line, line, line, defect)


def _twin(numpy_line: str, torch_line: str, defect: int = 0) -> CodeRow:
    return CodeRow(numpy_line, torch_line, torch_line, defect)


def _fmt(value: float) -> str:
    return repr(float(value))


def _activation_rows(s: ToySettings) -> tuple[list[CodeRow], str, str, str]:
    """Helper definitions, and the names of the hidden activation (numpy, torch) and its derivative."""
    rows = [
        _twin("def sigmoid(x):", "def sigmoid(x):"),
        _twin("    return 1 / (1 + np.exp(-x))", "    return 1 / (1 + torch.exp(-x))"),
        _same(""),
        _same("def derivatives_sigmoid(x):"),
        _same("    return x * (1 - x)"),
    ]
    if s.activation == "sigmoid":
        return rows, "sigmoid", "sigmoid", "derivatives_sigmoid"
    rows.append(_same(""))
    if s.activation == "tanh":
        rows += [_same("def derivatives_tanh(x):  # tanh'(z) written with x = tanh(z)"),
                 _same("    return 1 - x**2")]
        return rows, "np.tanh", "torch.tanh", "derivatives_tanh"
    rows += [
        _twin("def relu(x):", "def relu(x):"),
        _twin("    return np.maximum(x, 0)", "    return torch.clamp(x, min=0)"),
        _same(""),
        _same("def derivatives_relu(x):  # relu'(z) written with x = relu(z)"),
        _twin("    return (x > 0).astype(x.dtype)", "    return (x > 0).to(x.dtype)"),
    ]
    return rows, "relu", "relu", "derivatives_relu"


def _numpy_dtype(s: ToySettings) -> str:
    return f"np.{s.dtype}"


def _torch_dtype(s: ToySettings) -> str:
    return f"torch.{s.dtype}"


def _data_rows(s: ToySettings) -> list[CodeRow]:
    X, y = "[[1, 0, 1, 0], [1, 0, 1, 1], [0, 1, 0, 1]]", "[[1], [1], [0]]"
    if s.dtype == "float32":  # the article's torch.Tensor is float32
        torch_x, torch_y = f"X = torch.Tensor({X})", f"y = torch.Tensor({y})"
    else:
        torch_x, torch_y = f"X = torch.tensor({X}, dtype={_torch_dtype(s)})", f"y = torch.tensor({y}, dtype={_torch_dtype(s)})"
    return [
        _same("# Input array"),
        _twin(f"X = np.array({X}, dtype={_numpy_dtype(s)})", torch_x),
        _same("# Output"),
        _twin(f"y = np.array({y}, dtype={_numpy_dtype(s)})", torch_y),
    ]


def _init_lines(s: ToySettings, library: str, requires_grad: bool = False) -> list[str]:
    """The four weight lines (wh, bh, wout, bout) for numpy or torch, shared or own init."""
    shapes = {
        "wh": ("inputlayer_neurons", "hiddenlayer_neurons"), "bh": ("1", "hiddenlayer_neurons"),
        "wout": ("hiddenlayer_neurons", "output_neurons"), "bout": ("1", "output_neurons"),
    }
    grad = ", requires_grad=True" if requires_grad else ""
    numpy_draw = "np.random.uniform(size=({}, {}))" if s.init == "uniform" else "np.random.standard_normal(size=({}, {}))"
    lines = []
    for name, (rows, cols) in shapes.items():
        drawn = numpy_draw.format(rows, cols)
        if library == "numpy":
            cast = "" if s.dtype == "float64" else f".astype({_numpy_dtype(s)})"
            lines.append(f"{name} = {drawn}{cast}")
        elif s.same_init:
            lines.append(f"{name} = torch.tensor({drawn}, dtype={_torch_dtype(s)}{grad})")
        else:
            draw = "torch.rand" if s.init == "uniform" else "torch.randn"
            lines.append(f"{name} = {draw}({rows}, {cols}, dtype={_torch_dtype(s)}{grad})")
    return lines


def _seed_line(s: ToySettings, library: str) -> str:
    if library == "numpy" or s.same_init:
        return f"np.random.seed({s.seed})"
    return f"torch.manual_seed({s.seed})"


def hand_written_rows(s: ToySettings = ToySettings()) -> list[CodeRow]:
    """The aligned rows of implementations 1, 2 and 3 for these settings."""
    helpers, np_act, torch_act, derivative = _activation_rows(s)
    torch_imports = ["import numpy as np  # draws the shared initial weights"] if s.same_init else []
    rows = [_twin("import numpy as np", torch_imports[0] if torch_imports else "")]
    rows += [_twin("", "import torch"), _same("")]
    rows += _data_rows(s)
    rows += [_same("")] + helpers + [_same("")]
    rows += [
        _same("# Variable initialization"),
        _same(f"epoch = {s.epochs}  # Setting training iterations"),
        _same(f"lr = {_fmt(s.lr)}  # Setting learning rate"),
        _same("inputlayer_neurons = X.shape[1]  # number of features in data set"),
        _same(f"hiddenlayer_neurons = {s.hidden}  # number of hidden layers neurons"),
        _same("output_neurons = 1  # number of neurons at output layer"),
        _same("# weight and bias initialization" + (" (the same for every version)" if s.same_init else "")),
        _twin(_seed_line(s, "numpy"), _seed_line(s, "torch")),
    ]
    rows += [_twin(a, b) for a, b in zip(_init_lines(s, "numpy"), _init_lines(s, "torch"), strict=True)]
    rows += [
        _same(""),
        _same("for i in range(epoch):"),
        _same("    # Forward propagation"),
        _twin("    hidden_layer_input1 = np.dot(X, wh)", "    hidden_layer_input1 = torch.mm(X, wh)"),
        _same("    hidden_layer_input = hidden_layer_input1 + bh"),
        _twin(f"    hiddenlayer_activations = {np_act}(hidden_layer_input)",
              f"    hidden_layer_activations = {torch_act}(hidden_layer_input)"),
        _twin("    output_layer_input1 = np.dot(hiddenlayer_activations, wout)",
              "    output_layer_input1 = torch.mm(hidden_layer_activations, wout)"),
        _same("    output_layer_input = output_layer_input1 + bout"),
        CodeRow("    output = sigmoid(output_layer_input)", "    output = sigmoid(output_layer_input1)",
                "    output = sigmoid(output_layer_input)", defect=1),
        _same("    # Backpropagation"),
        _same("    E = y - output"),
        _same("    slope_output_layer = derivatives_sigmoid(output)"),
        _twin(f"    slope_hidden_layer = {derivative}(hiddenlayer_activations)",
              f"    slope_hidden_layer = {derivative}(hidden_layer_activations)"),
        _same("    d_output = E * slope_output_layer"),
        _twin("    Error_at_hidden_layer = d_output.dot(wout.T)",
              "    Error_at_hidden_layer = torch.mm(d_output, wout.t())"),
        _same("    d_hiddenlayer = Error_at_hidden_layer * slope_hidden_layer"),
        _twin("    wout += hiddenlayer_activations.T.dot(d_output) * lr",
              "    wout += torch.mm(hidden_layer_activations.t(), d_output) * lr"),
        CodeRow("    bout += np.sum(d_output, axis=0, keepdims=True) * lr", "    bout += d_output.sum() * lr",
                "    bout += d_output.sum(dim=0, keepdim=True) * lr", defect=2),
        _twin("    wh += X.T.dot(d_hiddenlayer) * lr", "    wh += torch.mm(X.t(), d_hiddenlayer) * lr"),
        CodeRow("    bh += np.sum(d_hiddenlayer, axis=0, keepdims=True) * lr", "    bh += d_output.sum() * lr",
                "    bh += d_hiddenlayer.sum(dim=0, keepdim=True) * lr", defect=3),
        _same("print('actual :\\n', y, '\\n')", defect=4),
        _same("print('predicted :\\n', output)"),
        _same("print('mean squared error:', float(((y - output) ** 2).mean()))"),
    ]
    return rows


def _hand_written_code(impl: str, s: ToySettings) -> str:
    lines = []
    for row in hand_written_rows(s):
        line = row.line(impl)
        if line is None:
            continue
        if impl == "torch-article" and row.defect:
            line = f"{line}  # <- {DEFECT_NOTES[row.defect]}"
        lines.append(line)
    return _tidy(lines)


def _tidy(lines: list[str]) -> str:
    """Drop empty lines at the top and doubled empty lines (from rows one version leaves empty)."""
    out: list[str] = []
    for line in lines:
        if line == "" and (not out or out[-1] == ""):
            continue
        out.append(line)
    return "\n".join(out).strip() + "\n"


def _torch_header(s: ToySettings, requires_grad: bool) -> list[str]:
    lines = (["import numpy as np  # draws the shared initial weights"] if s.same_init else []) + ["import torch", ""]
    X, y = "[[1, 0, 1, 0], [1, 0, 1, 1], [0, 1, 0, 1]]", "[[1], [1], [0]]"
    lines += [
        f"X = torch.tensor({X}, dtype={_torch_dtype(s)})",
        f"y = torch.tensor({y}, dtype={_torch_dtype(s)})",
        f"epoch = {s.epochs}",
        f"lr = {_fmt(s.lr)}",
        "inputlayer_neurons, hiddenlayer_neurons, output_neurons = " f"X.shape[1], {s.hidden}, 1",
        "",
    ]
    return lines


def autograd_code(s: ToySettings = ToySettings()) -> str:
    """Implementation 4: the forward pass by hand, gradients by loss.backward(), a manual update."""
    act = f"torch.{s.activation}"  # torch.sigmoid, torch.tanh, torch.relu
    lines = _torch_header(s, requires_grad=True)
    lines += ["# weights that autograd tracks (requires_grad=True)", _seed_line(s, "torch")]
    lines += _init_lines(s, "torch", requires_grad=True)
    lines += [
        "params = [wh, bh, wout, bout]",
        "",
        "for i in range(epoch):",
        f"    hidden = {act}(X @ wh + bh)",
        "    output = torch.sigmoid(hidden @ wout + bout)",
        "    loss = 0.5 * ((y - output) ** 2).sum()  # the loss the hand-written versions descend",
        "    loss.backward()  # autograd fills wh.grad, bh.grad, wout.grad, bout.grad",
        "    with torch.no_grad():  # the update itself must not be recorded",
        "        for p in params:",
        "            p -= lr * p.grad",
        "            p.grad.zero_()  # gradients add up unless cleared",
        "print('predicted :\\n', output.detach())",
        "print('mean squared error:', float(((y - output.detach()) ** 2).mean()))",
    ]
    return _tidy(lines)


def nn_code(s: ToySettings = ToySettings()) -> str:
    """Implementation 5: nn.Sequential + torch.optim, the idiomatic version."""
    act = NN_ACTIVATIONS[s.activation].__name__  # Sigmoid, Tanh, ReLU
    optimizer = "Adam" if s.optimizer == "adam" else "SGD"
    lines = _torch_header(s, requires_grad=False)
    if s.same_init:
        lines += ["# the shared initial weights", _seed_line(s, "torch")]
        lines += _init_lines(s, "torch")
        lines += [""]
    else:
        lines += [f"torch.manual_seed({s.seed})  # nn.Linear draws its own initial weights", ""]
    lines += [
        "model = torch.nn.Sequential(",
        "    torch.nn.Linear(inputlayer_neurons, hiddenlayer_neurons),",
        f"    torch.nn.{act}(),",
        "    torch.nn.Linear(hiddenlayer_neurons, output_neurons),",
        "    torch.nn.Sigmoid(),",
        f").to({_torch_dtype(s)})",
    ]
    if s.same_init:
        lines += [
            "with torch.no_grad():  # nn.Linear keeps its weight as (out, in): the transpose of wh",
            "    model[0].weight.copy_(wh.T)",
            "    model[0].bias.copy_(bh[0])",
            "    model[2].weight.copy_(wout.T)",
            "    model[2].bias.copy_(bout[0])",
        ]
    lines += [
        f"optimizer = torch.optim.{optimizer}(model.parameters(), lr=lr)",
        "loss_fn = torch.nn.MSELoss(reduction='sum')",
        "",
        "for i in range(epoch):",
        "    optimizer.zero_grad()",
        "    output = model(X)",
        "    loss = 0.5 * loss_fn(output, y)  # 0.5 * sum of squares, as the hand-written versions",
        "    loss.backward()",
        "    optimizer.step()",
        "print('predicted :\\n', output.detach())",
        "print('mean squared error:', float(((y - output.detach()) ** 2).mean()))",
    ]
    return _tidy(lines)


def implementation_code(impl: str, s: ToySettings = ToySettings()) -> str:
    """The runnable code of one implementation with these settings."""
    check_implementation(impl)
    if impl == "autograd":
        return autograd_code(s)
    if impl == "nn":
        return nn_code(s)
    return _hand_written_code(impl, s)


def aligned_rows(s: ToySettings = ToySettings(), torch_impl: str = "torch-article") -> list[dict[str, str]]:
    """numpy's lines beside a torch version's, for the twin-API table.

    Each row: numpy, torch, same ("=" when the text is identical, "~" when only the library
    differs, "!" for a defect line) and note (the defect, for the article's version).
    """
    if torch_impl not in ("torch-article", "torch-fixed"):
        raise ValueError(f"torch_impl must be 'torch-article' or 'torch-fixed', not {torch_impl!r}")
    table = []
    for row in hand_written_rows(s):
        left, right = row.numpy or "", row.line(torch_impl) or ""
        if not left and not right:
            continue
        defect = row.defect if torch_impl == "torch-article" and row.defect in (1, 2, 3) else 0
        mark = "!" if defect else ("=" if left == right else "~")
        table.append({"numpy": left, "torch": right, "same": mark, "note": DEFECT_NOTES[defect] if defect else ""})
    return table


def aligned_table(s: ToySettings = ToySettings(), torch_impl: str = "torch-article",
                  lang: str = "en") -> list[dict[str, str]]:
    """aligned_rows as the page's table, in `lang`: "same" in words (SAME_LABELS) and the defect notes
    translated; the code columns as they are."""
    same, note = translate("same", lang), translate("note", lang)
    return [{"numpy": r["numpy"], "torch": r["torch"], same: translate(SAME_LABELS[r["same"]], lang),
             note: translate(r["note"], lang) if r["note"] else ""} for r in aligned_rows(s, torch_impl)]


def aligned_columns(s: ToySettings = ToySettings(), torch_impl: str = "torch-article",
                    width: int | None = None) -> tuple[str, str]:
    """The same rows as aligned_rows, as two code texts with equal line counts (numpy, torch).

    Shown side by side with line numbers, line n of one is the twin of line n of the other.
    The article's defect lines end with their '# <- DEFECT n' note. With `width`, a line longer
    than that is broken where Python allows it (wrap_code_line) and its twin padded with blank
    lines, so that two narrow columns stay aligned without scrolling sideways.
    """
    numpy_lines: list[str] = []
    torch_lines: list[str] = []
    for r in aligned_rows(s, torch_impl):
        left = r["numpy"]
        right = r["torch"] + (f"  # <- {r['note'].split(':')[0]}" if r["note"] else "")
        left_parts = wrap_code_line(left, width) if width else [left]
        right_parts = wrap_code_line(right, width) if width else [right]
        rows = max(len(left_parts), len(right_parts))
        numpy_lines += left_parts + [""] * (rows - len(left_parts))
        torch_lines += right_parts + [""] * (rows - len(right_parts))
    return "\n".join(numpy_lines), "\n".join(torch_lines)


BREAK_AFTER = {",", "(", "[", "{", "=", "+", "-", "*", "/", "@", "**", "+=", "-=", "*=", "/="}


def wrap_code_line(line: str, width: int) -> list[str]:
    """One line of Python as lines of at most `width` characters, the same code when joined back.

    Breaks only after a comma, an opening bracket, `=` or an arithmetic operator (Python's tokenizer
    finds them, so nothing inside a string is split). Inside brackets the line simply continues;
    outside, the piece ends with a backslash, so a break inside brackets is preferred. Continuation
    lines are indented 4 more. A trailing comment moves to its own line above (`# <- DEFECT 1` becomes `# ↓ DEFECT 1`), a comment line is
    wrapped as words. A part that cannot be broken (a long name or string) stays longer than `width`.
    """
    if len(line) <= width:
        return [line]
    indent = " " * (len(line) - len(line.lstrip()))
    text = line.strip()
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text + "\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return [line]
    comment = next((t for t in tokens if t.type == tokenize.COMMENT), None)
    if comment is not None and comment.start[1] == 0:      # a comment line: wrapped as words
        words = textwrap.wrap(text.lstrip("# "), max(width - len(indent) - 2, 20))
        return [f"{indent}# {w}" for w in words]
    if comment is not None:                                # a trailing comment that does not fit goes above
        code, note = text[:comment.start[1]].rstrip(), comment.string
        note = "# ↓ " + note[4:].strip() if note.startswith("# <-") else note   # '# <- DEFECT 1' points below now
        return [*wrap_code_line(indent + note, width), *wrap_code_line(indent + code, width)]
    breaks: list[tuple[int, bool]] = []          # (offset in text after which to break, inside brackets)
    depth = 0
    for before, token, after in zip([None, *tokens], tokens, tokens[1:], strict=False):
        subscript = token.string == "[" and before is not None and before.end == token.start
        keyword = token.string == "=" and depth > 0                       # dtype=torch.float64 stays whole
        if (token.type == tokenize.OP and token.string in BREAK_AFTER and not subscript and not keyword
                and after.type not in (tokenize.COMMENT, tokenize.NEWLINE, tokenize.ENDMARKER)):
            breaks.append((token.end[1], depth > 0 or token.string in "([{"))
        if token.type == tokenize.OP and token.string in "([{":
            depth += 1
        elif token.type == tokenize.OP and token.string in ")]}":
            depth -= 1
    pieces, start, prefix = [], 0, indent
    while len(prefix) + len(text) - start > width:
        fitting = [(end, inside) for end, inside in breaks
                   if end > start and len(prefix) + end - start + (0 if inside else 2) <= width
                   and len(text) - end > 4]                     # no tail of a few characters alone
        later = [(end, inside) for end, inside in breaks if end > start]
        if not later:
            break
        in_brackets = [b for b in fitting if b[1] and b[0] - start >= (width - len(prefix)) // 3]
        end, inside = (in_brackets or fitting or later)[-1 if (in_brackets or fitting) else 0]
        pieces.append(prefix + text[start:end].rstrip() + ("" if inside else " \\"))
        start, prefix = end + len(text[end:]) - len(text[end:].lstrip()), indent + "    "
    pieces.append(prefix + text[start:])
    return pieces
