"""What a page shows a learner, read from an AppTest, and which of it is still English.

`untranslated(at)` lists the texts a page rendered in Chinese (its choice controls' options too) that have no
Chinese in them, leaving out what stays as it is in any language: code (`...` spans, code blocks), numbers, names
of torch things (`torch.nn.Linear`, `state_dict()`), file names and addresses. A page test in Chinese asserts
the list is empty (or names, with a reason, the few texts allowed to stay English).
"""

from __future__ import annotations

import re

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
CODE_SPAN = re.compile(r"`[^`]*`|\$[^$]*\$")
LINK = re.compile(r"\]\([^)]*\)|https?://\S+")
TECHNICAL = re.compile(
    r"^[\s\d.,:;=+\-*/×÷%()\[\]{}<>|^~!?#@&'\"…·→←↑↓≈≤≥±_\\]*$"  # numbers, maths and punctuation only
)
NUMBER = re.compile(r"[-+]?(\d[\d,_]*)?(\.\d+)*([eE][-+]?\d+)?[%x]?")
KEEP_ASIS = {  # words that stay as they are in Chinese texts: names of libraries, devices, tensors, layers
    "PyTorch", "torch", "numpy", "NumPy", "CPU", "GPU", "CUDA", "MPS", "MNIST", "MLP", "CNN", "ReLU", "Tanh",
    "Sigmoid", "GELU", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Nesterov", "Dropout", "BatchNorm1d",
    "BatchNorm2d", "Linear", "Conv2d", "MaxPool2d", "Flatten", "LeNet", "x", "y", "a", "b", "w", "lr", "id",
    "PNG", "CSV", "JSON", "URL", "OK", "dtype", "float32", "float64", "int64", "grad", "True", "False", "None",
    "scikit-learn", "sklearn", "t-SNE", "PCA", "L1", "L2", "Plotly", "Streamlit", "English", "Explorer",  # the product's name
    "relu", "sigmoid", "tanh", "gelu", "cpu", "cuda", "LeNet-5", "StepLR", "CosineAnnealingLR", "OneCycleLR",
    "ReduceLROnPlateau", "float16", "bfloat16", "int8", "int16", "int32", "uint8", "bool",  # torch's names, lowercase too
}
MATHS = re.compile(r"[a-z]\d*([*/^@+\-][a-z\d]\d*)+|[a-z]\d+")  # w*x, x1^2, x1*x2, x1: a formula's terms


def words_left(text: str) -> str:
    """The text with code, links, numbers and names that stay as they are taken out."""
    text = LINK.sub(" ", CODE_SPAN.sub(" ", text))
    left = []
    for token in text.split():
        word = token.strip("*_.,:;!?()[]{}\"'“”‘’")
        if (not word or word in KEEP_ASIS or NUMBER.fullmatch(word) or TECHNICAL.match(word) or _code_like(word)
                or _code_like(token) or MATHS.fullmatch(word)):
            continue
        left.append(word)
    return " ".join(left)


def _code_like(token: str) -> bool:
    return bool(re.fullmatch(r"\d[\w.+]*|[\w.]+\(.*\)|\w+\.[\w.]+|[\w-]+\.(py|png|csv|pt|json|npz)|[a-z]+_[a-z_]+", token))


def shown_texts(at) -> list[str]:
    """Every text an AppTest run shows: titles, headers, markdown, captions, alerts, widget labels, the options
    of the choice controls (as they show them), tabs."""
    texts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "warning", "error", "success"):
        texts += [el.value for el in getattr(at, kind)]
    for kind in ("button", "checkbox", "toggle", "radio", "selectbox", "multiselect", "slider", "select_slider",
                 "text_input", "text_area", "number_input", "segmented_control", "pills"):
        texts += [el.label for el in getattr(at, kind)]
    texts += option_labels(at)
    texts += [tab.label for tab in at.tabs] + [ex.label for ex in at.expander]
    return [t for t in texts if t and t.strip()]


def option_labels(at) -> list[str]:
    """The labels the choice controls show for their options (what the learner picks from, not their values)."""
    texts: list[str] = []
    for kind in ("radio", "selectbox", "multiselect", "select_slider"):
        texts += [option for el in getattr(at, kind) for option in el.options]
    for kind in ("segmented_control", "pills"):
        texts += [option.content for el in getattr(at, kind) for option in el.proto.options]
    return texts


def untranslated(at, allowed: set[str] = frozenset()) -> list[str]:
    """The shown texts with words left but no Chinese in them (those in `allowed` aside)."""
    out = []
    for text in shown_texts(at):
        if text in allowed or CJK.search(text):
            continue
        if words_left(text).strip():
            out.append(text)
    return out


def translate_literals(*folders: str, allowed: frozenset[str] | None = None) -> list[str]:
    """The English texts the package folders (`"optim"`, `"digits/probe"`, ...) pass to `translate(...)`: its
    literals, and both branches of a `"one" if n == 1 else "many"`. With `allowed` (names of constants a test
    lists itself), any other non-literal first argument fails the test; without it, they are skipped."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "pytorch_explorer"
    out: list[str] = []
    for path in sorted(p for folder in folders for p in (root / folder).glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "translate" and node.args):
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                out.append(first.value)
            elif isinstance(first, ast.IfExp) and all(isinstance(b, ast.Constant) for b in (first.body, first.orelse)):
                out += [first.body.value, first.orelse.value]
            elif allowed is not None:
                assert ast.unparse(first) in allowed, f"{path.name}: {ast.unparse(node)}"
    return out


def from_home(page_path: str, query: dict, timeout: float = 120):
    """An AppTest of the app opened at its home page, then switched (not yet run) to `page_path`: app.py has
    run once, so the sidebar (the language switch) is drawn on the page too, as a learner sees it."""
    from streamlit.testing.v1 import AppTest

    root = __import__("pathlib").Path(__file__).resolve().parents[2]
    at = AppTest.from_file(str(root / "app.py"), default_timeout=timeout)
    at.query_params.update(query)
    at.run()
    return at.switch_page(page_path)
