"""The Runs page's data: table rows, filters, labels, overlay curves, safe names and the code it shows.

`seed_run` and `tiny_model` write runs through RunStore's own API; the page and browser tests use them too.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import re
from datetime import datetime

import pytest
import torch

from pytorch_explorer.core.text import as_code, escape_markdown
from pytorch_explorer.digits.models import MLPConfig, TrainedModel, build_mlp, save_checkpoint
from pytorch_explorer.runs import RunStore, load_run_model, new_workspace_id, views


def tiny_model(name: str = "tiny", hidden: int = 4, seed: int = 0) -> TrainedModel:
    """A digit model that was never trained (784-4-10): enough for checkpoints, exports and imports."""
    torch.manual_seed(seed)
    config = MLPConfig(hidden=hidden)
    return TrainedModel(model=build_mlp(config), config=config, hyperparameters={"hidden": hidden, "epochs": 2},
                        metrics={"val_acc": 0.25, "train_acc": 0.3}, source="bundled", name=name)


def seed_run(store: RunStore, workspace: str, name: str, *, kind: str = "digits", source: str = "bundled",
             losses: tuple[float, ...] = (2.3, 1.2, 0.8, 0.5), val_acc: tuple[float, ...] = (0.6, 0.8),
             status: str = "done", checkpoint: bool = True) -> str:
    """A finished run with step losses, epoch accuracies and (optionally) a checkpoint; returns its id."""
    run_id = store.create_run(workspace, kind, name, {"hidden": 4, "epochs": len(val_acc), "source": source},
                              source=source)
    store.claim(run_id, pid=os.getpid(), device="cpu")
    per_epoch = max(1, len(losses) // max(1, len(val_acc)))
    steps = [{"kind": "step", "step": s, "epoch": 1 + (s - 1) // per_epoch, "loss": loss}
             for s, loss in enumerate(losses, start=1)]
    store.record(run_id, steps, steps=len(losses), total_steps=len(losses), device="cpu", samples_per_s=1234.0)
    epochs = [{"kind": "epoch", "step": e * per_epoch, "epoch": e, "val_acc": acc, "train_acc": acc}
              for e, acc in enumerate(val_acc, start=1)]
    store.record(run_id, epochs, epoch=len(val_acc), val_acc=val_acc[-1], train_acc=val_acc[-1], train_seconds=1.5)
    if checkpoint:
        store.write_checkpoint(run_id, save_checkpoint(tiny_model(name)), len(val_acc))
    store.finish(run_id, status, summary={"val_acc": val_acc[-1]})
    return run_id


def test_rows_hold_every_column_for_each_run_newest_first(store):
    ws = new_workspace_id()
    first = seed_run(store, ws, "first", source="bundled")
    seed_run(store, ws, "second", kind="toy", source="csv:my.csv", status="stopped")
    records = store.list_runs(ws)
    rows = views.run_rows(records, now=records[0].finished + 100)
    assert [r["name"] for r in rows] == ["second", "first"]
    assert all(list(r) == list(views.COLUMNS) for r in rows)
    row = rows[1]
    run = store.get(ws, first)
    assert (row["page"], row["status"], row["source"], row["device"]) == ("Digits: train", "done", "bundled", "cpu")
    assert row["accuracy"] == pytest.approx(0.8) and row["samples/s"] == 1234
    assert row["started"] == datetime.fromtimestamp(run.started)
    assert rows[0]["page"] == "Toy networks" and rows[0]["status"] == "stopped"


def test_a_run_that_never_started_shows_its_creation_time_and_no_duration(store):
    ws = new_workspace_id()
    run_id = store.create_run(ws, "digits", "waiting", {})
    record = store.get(ws, run_id)
    (row,) = views.run_rows([record], now=record.created + 50)
    assert row["duration"] == "" and row["started"] == datetime.fromtimestamp(record.created)
    assert row["accuracy"] is None and row["samples/s"] is None


@pytest.mark.parametrize("seconds, shown", [(None, ""), (math.nan, ""), (-1, ""), (4.25, "4.2 s"), (42, "42 s"),
                                            (185, "3 min 05 s"), (3720, "1 h 02 min")])
def test_durations_read_like_a_clock(seconds, shown):
    assert views.format_duration(seconds) == shown


def test_a_running_run_lasts_until_now_and_a_finished_one_until_it_finished(store):
    ws = new_workspace_id()
    run_id = store.create_run(ws, "digits", "live", {})
    store.claim(run_id, pid=os.getpid())
    live = store.get(ws, run_id)
    assert views.run_duration(live, now=live.started + 12.5) == pytest.approx(12.5)
    store.finish(run_id, "stopped")
    done = store.get(ws, run_id)
    assert views.run_duration(done, now=done.finished + 1000) == pytest.approx(done.finished - done.started)


def test_filters_offer_the_kinds_and_sources_there_are_and_let_the_matching_runs_through(store):
    ws = new_workspace_id()
    a = seed_run(store, ws, "a", kind="digits", source="bundled")
    b = seed_run(store, ws, "b", kind="digits", source="csv:x.csv")
    c = seed_run(store, ws, "c", kind="toy", source="bundled")
    records = store.list_runs(ws)
    assert views.filter_options(records) == (["All pages", "Digits: train", "Toy networks"],
                                             ["All data sources", "bundled", "csv:x.csv"])
    ids = lambda rs: {r.id for r in rs}  # noqa: E731
    assert ids(views.filter_runs(records)) == {a, b, c}
    assert ids(views.filter_runs(records, "Digits: train")) == {a, b}
    assert ids(views.filter_runs(records, views.ALL_PAGES, "bundled")) == {a, c}
    assert ids(views.filter_runs(records, "Toy networks", "csv:x.csv")) == set()
    assert ids(views.filter_runs(records, None, None)) == {a, b, c}


def test_labels_are_names_with_a_short_id_only_where_two_runs_share_one(store):
    ws = new_workspace_id()
    one, two, other = (seed_run(store, ws, n) for n in ("twin", "twin", "single"))
    labels = views.run_labels(store.list_runs(ws))
    assert labels[other] == "single"
    assert labels[one] == f"twin ({one[:6]})" and labels[two] == f"twin ({two[:6]})"
    assert len(set(labels.values())) == 3


def test_overlay_series_are_each_runs_recorded_curves_and_a_diverged_loss_stays_nan(store):
    ws = new_workspace_id()
    good = seed_run(store, ws, "good", losses=(2.0, 1.0, 0.5, 0.25), val_acc=(0.7, 0.9))
    bad = seed_run(store, ws, "bad", losses=(2.0, 40.0, float("nan"), float("nan")), val_acc=(0.1, 0.1),
                   status="diverged")
    imported = seed_run(store, ws, "imported", losses=(), val_acc=(0.5,))
    labels = views.run_labels(store.list_runs(ws))
    series = views.overlay_series(store, ws, [good, bad], labels)
    assert list(series) == ["good", "bad"]
    assert series["good"] == {"loss_steps": [1, 2, 3, 4], "loss_history": [2.0, 1.0, 0.5, 0.25],
                              "epoch_val_acc": [0.7, 0.9]}
    assert series["bad"]["loss_history"][:2] == [2.0, 40.0] and all(map(math.isnan, series["bad"]["loss_history"][2:]))
    fig = views.runs_overlay_figure(series)
    names = {t.name for t in fig.data if t.showlegend is not False}
    assert names == {"good", "bad"}
    assert "clipped" in fig.layout.yaxis.title.text  # the diverged points sit on the top edge
    assert views.overlay_series(store, ws, [imported], labels)["imported"]["loss_steps"] == []


@pytest.mark.parametrize("name", ["plain", "**bold** [x](http://evil)", "a `tick` and ``two``", "`", ":red[hi] $x$",
                                  "<script>alert(1)</script>", "line\nbreak"])
def test_as_code_makes_one_code_span_holding_the_text(name):
    # CommonMark: a code span opens with a run of n backticks and closes at the next run of exactly n;
    # inside it nothing is Markdown (no emphasis, links, HTML, Streamlit colours or LaTeX).
    shown = as_code(name)
    fence = re.match(r"`+", shown).group()
    inner = shown[len(fence):-len(fence)]
    assert shown.endswith(fence) and not inner.startswith("`") and not inner.endswith("`")  # fences exactly n long
    assert len(fence) not in {len(run) for run in re.findall(r"`+", inner)}
    assert "\n" not in shown and inner.strip() == " ".join(name.split())


@pytest.mark.parametrize("name, stem", [("wide net", "wide-net"), ("../../etc/passwd", "etc-passwd"),
                                        ("   ", "run"), ("Réseau 2", "R-seau-2"), ("x" * 200, "x" * 60)])
def test_file_stems_are_safe_file_names(name, stem):
    assert views.file_stem(name) == stem


def test_the_code_shown_loads_an_exported_model_and_predicts_as_the_store_does(store, tmp_path, monkeypatch):
    ws = new_workspace_id()
    run_id = seed_run(store, ws, "exported")
    record = store.get(ws, run_id)
    (tmp_path / "exported.pt").write_bytes(store.checkpoint_bytes(ws, run_id))
    monkeypatch.chdir(tmp_path)
    code = views.load_code("exported.pt", record.config)
    assert "weights_only=True" in code and "Linear(28 * 28, 4)" in code
    images = (torch.rand(5, 28, 28) * 255).to(torch.uint8)
    scope = {"images": images}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(code, "<shown code>", "exec"), scope)  # noqa: S102 - our own code, as the page shows it
    expected = load_run_model(store, ws, run_id).predict_proba(images)
    assert torch.allclose(scope["probabilities"], expected, atol=1e-6)


def test_the_code_for_no_run_or_an_odd_config_builds_the_articles_model():
    assert "Linear(28 * 28, 500)" in views.load_code()
    assert "Linear(28 * 28, 500)" in views.load_code("x.pt", {"hidden": "lots", "lr": 0.1})


def test_escape_markdown_escapes_every_punctuation_character_and_nothing_else():
    text = "Cut off: **x** [a](b) $y$ :red[z] C:\\p_q.csv `t` <b>"
    escaped = escape_markdown(text)
    assert re.sub(r"\\(.)", r"\1", escaped) == text  # removing the escapes gives the text back
    assert not re.search(r"(?<!\\)[*\[\]()$:`<>_]", escaped.replace("\\\\", ""))  # no bare Markdown character
    assert escape_markdown("plain words 42") == "plain words 42"


def test_the_model_column_names_the_estimator_or_the_mlps_shape(store):
    ws = new_workspace_id()
    baseline = store.create_run(ws, "baseline", "sklearn logreg (bundled)",
                                {"model": "logreg", "estimator": "LogisticRegression"}, status="interrupted", owned=False)
    store.record(baseline, [], val_acc=0.9, train_seconds=3.25)
    store.finish(baseline, "done")
    deep = store.create_run(ws, "digits", "deep", {"hidden": 64, "depth": 3}, status="interrupted", owned=False)
    cnn = store.create_run(ws, "digits", "conv", {"arch": "lenet", "hidden": 84}, status="interrupted", owned=False)
    toy = store.create_run(ws, "toy", "toy", {"hidden": 3}, status="interrupted", owned=False)
    rows = {r["name"]: r for r in views.run_rows(store.list_runs(ws), now=0)}
    assert rows["sklearn logreg (bundled)"]["model"] == "sklearn LogisticRegression"
    assert rows["sklearn logreg (bundled)"]["page"] == "Digits: compare"
    assert rows["sklearn logreg (bundled)"]["fit/train s"] == 3.25 and rows["deep"]["fit/train s"] is None
    assert rows["deep"]["model"] == "MLP 784-64-64-64-10"
    assert rows["conv"]["model"] == "lenet" and rows["toy"]["model"] == ""
    assert {deep, cnn, toy} == {r.id for r in store.list_runs(ws) if r.kind != "baseline"}


def test_a_baselines_code_is_its_scikit_learn_fit_and_a_digit_runs_code_loads_its_file(store):
    ws = new_workspace_id()
    baseline = store.create_run(ws, "baseline", "my knn", {"model": "knn", "seed": 3, "val_fraction": 0.25},
                                source="csv:my.csv", status="interrupted", owned=False)
    code = views.run_code(store.get(ws, baseline))
    assert "KNeighborsClassifier(n_neighbors=3)" in code and "load_digits('csv:my.csv')" in code
    assert "(1.0 - 0.25)" in code
    odd = store.create_run(ws, "baseline", "odd", {"model": "forest"}, status="interrupted", owned=False)
    assert "torch.load" in views.run_code(store.get(ws, odd))
    digits = seed_run(store, ws, "wide net")
    assert "torch.load('wide-net.pt'" in views.run_code(store.get(ws, digits))
