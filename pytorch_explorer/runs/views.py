"""What the Runs page shows, as plain data: the table of a workspace's runs, its filters, the curves of
several runs side by side, safe file names for exports, and the code that loads an exported model.

    rows = run_rows(filter_runs(records, page="Digits: train", source="bundled"), now)     # one dict a run, for st.dataframe
    series = overlay_series(store, workspace, run_ids, run_labels(records))
    figure = runs_overlay_figure(series)                                  # loss per step, val. accuracy per epoch

Run names and data sources come from learners and files: `core.text.as_code` turns one into a Markdown code span,
so a name like `**[click](http://...)**` is shown, never rendered.

What is shown takes `lang` ("en" or "zh"): a run's page, status and duration in the table, the overlay's titles.
What is stored (a run's kind and status) and the filters' choices stay English: the URL holds a choice as it is
(the same in every language), and the page's select shows it translated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from pytorch_explorer.digits.models import MLPConfig, mlp_code
from pytorch_explorer.digits.training.figures import runs_overlay_figure
from pytorch_explorer.i18n import DEFAULT, translate
from pytorch_explorer.runs.store import STATUSES, RunRecord, RunStore

ALL_PAGES, ALL_SOURCES = "All pages", "All data sources"  # the filters' "no filter" choices
PAGE_OF_KIND = {"digits": "Digits: train", "toy": "Toy networks", "toy-playground": "Toy playground",
                "baseline": "Digits: compare"}  # which page makes runs of each kind
BASELINE_KIND = "baseline"  # a scikit-learn fit (pytorch_explorer.compare.runs): no curves, no checkpoint
COLUMNS = ("name", "page", "model", "status", "source", "device", "accuracy", "fit/train s", "samples/s", "started",
           "duration")

__all__ = ["ALL_PAGES", "ALL_SOURCES", "BASELINE_KIND", "COLUMNS", "PAGE_OF_KIND", "STATUSES", "file_stem",
           "filter_options", "filter_runs", "format_duration", "load_code", "model_of",
           "overlay_series", "page_of", "run_code", "run_duration", "run_labels", "run_rows", "runs_overlay_figure",
           "status_label"]


def page_of(kind: str, lang: str = DEFAULT) -> str:
    """The page a run of this kind came from ("digits" -> "Digits: train", in `lang`); an unknown kind as it is."""
    return translate(PAGE_OF_KIND[kind], lang) if kind in PAGE_OF_KIND else kind


def status_label(status: str, lang: str = DEFAULT) -> str:
    """A run's status as shown ("done", or in Chinese "已完成"); the store keeps the English word."""
    return translate(status, lang) if status in STATUSES else status


def filter_options(records: Iterable[RunRecord]) -> tuple[list[str], list[str]]:
    """The choices of the two filters: ALL_PAGES and each page the runs came from; ALL_SOURCES and each
    data source they trained on. The choices are the English words, kept in the URL as they are; the page shows
    them in the learner's language."""
    records = list(records)
    return ([ALL_PAGES, *sorted({page_of(r.kind) for r in records})],
            [ALL_SOURCES, *sorted({r.source for r in records})])


def filter_runs(records: Iterable[RunRecord], page: str | None = ALL_PAGES, source: str | None = ALL_SOURCES
                ) -> list[RunRecord]:
    """The runs from one page and one data source (ALL_PAGES, ALL_SOURCES or None: any), in the order given."""
    return [r for r in records
            if page in (None, ALL_PAGES, page_of(r.kind)) and source in (None, ALL_SOURCES, r.source)]


def format_duration(seconds: float | None, lang: str = DEFAULT) -> str:
    """42 s, 3 min 05 s, 1 h 02 min (in `lang`); empty when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return ""
    if seconds < 60:
        return translate("{s} s", lang).format(s=f"{seconds:.0f}" if seconds >= 10 else f"{seconds:.1f}")
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return translate("{m} min {s} s", lang).format(m=minutes, s=f"{secs:02d}")
    hours, minutes = divmod(minutes, 60)
    return translate("{h} h {m} min", lang).format(h=hours, m=f"{minutes:02d}")


def run_duration(record: RunRecord, now: float) -> float | None:
    """Seconds from start to finish (to `now` while it trains); None for a run that never started."""
    if record.started is None:
        return None
    end = record.finished if record.finished is not None else (now if record.active else record.updated)
    return max(0.0, end - record.started)


def model_of(record: RunRecord) -> str:
    """What the run trained, in a few words: a baseline's estimator class ("KNeighborsClassifier"), a digit
    model's architecture ("MLP 784-500-10", or the arch named in its config), else empty."""
    c = record.config
    if record.kind == BASELINE_KIND:
        return f"sklearn {c.get('estimator') or c.get('model') or ''}".strip()
    arch = c.get("arch")
    if isinstance(arch, str) and arch and arch != "mlp":
        return arch
    hidden, depth = c.get("hidden"), c.get("depth") or 1
    if record.kind == "digits" and isinstance(hidden, int) and isinstance(depth, int):
        return f"MLP 784-{'-'.join([str(hidden)] * depth)}-10"
    return ""


def run_rows(records: Iterable[RunRecord], now: float, lang: str = DEFAULT) -> list[dict[str, Any]]:
    """One row a run for the table (COLUMNS): accuracy as 0-1, fit/train s the seconds spent fitting or
    training (a baseline's fit time), started as a local datetime; page, status and duration in `lang`."""
    rows = []
    for r in records:
        started = r.started if r.started is not None else r.created
        rows.append({"name": r.name, "page": page_of(r.kind, lang), "model": model_of(r),
                     "status": status_label(r.status, lang),
                     "source": r.source, "device": r.device, "accuracy": r.val_acc,
                     "fit/train s": round(r.train_seconds, 2) if r.train_seconds else None,
                     "samples/s": round(r.samples_per_s) if r.samples_per_s else None,
                     "started": datetime.fromtimestamp(started),
                     "duration": format_duration(run_duration(r, now), lang)})
    return rows


def run_labels(records: Sequence[RunRecord]) -> dict[str, str]:
    """run id -> a label for pickers and legends: the name, with a short id where two runs share it."""
    counts: dict[str, int] = {}
    for r in records:
        counts[r.name] = counts.get(r.name, 0) + 1
    return {r.id: r.name if counts[r.name] == 1 else f"{r.name} ({r.id[:6]})" for r in records}


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) else math.nan


def overlay_series(store: RunStore, workspace: str, run_ids: Iterable[str], labels: Mapping[str, str]
                   ) -> dict[str, dict[str, list[float]]]:
    """label -> the curves runs_overlay_figure draws: loss per step (loss_steps, loss_history) and the
    validation accuracy after each epoch (epoch_val_acc). A run without readings (an imported one) has
    empty lists. A NaN loss stays NaN: the figure puts it on the top edge, as a diverged point."""
    series = {}
    for run_id in run_ids:
        steps = store.metrics(workspace, run_id, "step")  # SQLite keeps a NaN loss as NULL: back to NaN
        epochs = store.metrics(workspace, run_id, "epoch")
        series[labels.get(run_id, run_id)] = {
            "loss_steps": [m["step"] for m in steps],
            "loss_history": [_number(m["loss"]) for m in steps],
            "epoch_val_acc": [_number(m["val_acc"]) for m in sorted(epochs, key=lambda m: m["epoch"])],
        }
    return series


def file_stem(name: str) -> str:
    """A file name made from a run name: letters, digits, '-', '_' and '.', at most 60 characters."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:60].strip("-.")
    return stem or "run"


def run_code(record: RunRecord) -> str:
    """The code behind one run: a baseline's scikit-learn fit, else the code that loads the run's .pt file."""
    if record.kind == BASELINE_KIND:
        from pytorch_explorer.compare.code import baseline_code

        c = record.config
        try:
            return baseline_code(str(c.get("model")), int(c.get("seed") or 0), record.source,
                                 float(c.get("val_fraction") or 0.3))
        except (TypeError, ValueError):  # a config this version does not know: the loader's code instead
            pass
    return load_code(f"{file_stem(record.name)}.pt", record.config)


def load_code(file_name: str = "run.pt", config: Mapping[str, Any] | None = None) -> str:
    """The PyTorch code that loads an exported .pt file (weights_only=True) and rebuilds its model."""
    known = {k: v for k, v in (config or {}).items() if k in ("hidden", "depth", "activation")}
    try:
        mlp = MLPConfig(**known)
    except (TypeError, ValueError):
        mlp = MLPConfig()
    return "\n".join([
        "import torch",
        "",
        "# A checkpoint holds tensors and plain values only, so weights_only=True can load it:",
        "# no code from the file runs.",
        f"checkpoint = torch.load({file_name!r}, map_location=\"cpu\", weights_only=True)",
        "print(checkpoint[\"config\"], checkpoint[\"metrics\"].get(\"val_acc\"))",
        "",
        "# Rebuild the same layers (checkpoint[\"config\"] says how wide and deep), then load the weights.",
        mlp_code(mlp),
        "model.load_state_dict(checkpoint[\"state_dict\"])",
        "model.eval()",
        "",
        "# images: uint8 digits, shape (N, 28, 28), white on black as in MNIST",
        "with torch.no_grad():",
        "    probabilities = model(images.reshape(-1, 28 * 28).float() / 255).softmax(dim=1)",
        "print(probabilities.argmax(dim=1))",
    ])
