"""Names and sources that come from a learner or a file reach Markdown as text, never as links or images."""

from __future__ import annotations

import re

import pytest

from pytorch_explorer.core.text import as_code, escape_markdown
from pytorch_explorer.digits.models import MLPConfig, TrainedModel, build_mlp
from pytorch_explorer.digits.probe import describe

HOSTILE = ["![x](http://198.51.100.7/x.png)", "[click](javascript:alert(1))", "**bold** `tick` ``two``",
           "<img src=x onerror=alert(1)>", "a\nb\n# heading"]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_code_span_holds_the_text_exactly_on_one_line(text):
    span = as_code(text)
    fence = span[:len(span) - len(span.lstrip("`"))]
    inner = span[len(fence):-len(fence)]
    assert "\n" not in span and inner.strip() == " ".join(text.split()) and fence not in inner


@pytest.mark.parametrize("text", HOSTILE)
def test_escaped_prose_has_no_markdown_left(text):
    punctuation = r"[!-/:-@\[-`{-~]"  # ASCII punctuation: what Markdown reads as markup
    assert re.fullmatch(rf"(?:(?!{punctuation}).|\\{punctuation})*", escape_markdown(text))  # each one escaped


def test_a_checkpoints_name_and_source_are_shown_as_code_on_the_probe_page():
    config = MLPConfig(hidden=4)
    model = TrainedModel(build_mlp(config), config, source="![s](http://198.51.100.7/s.png)",
                         name="[n](http://198.51.100.7)")
    line = describe(model)
    assert "`[n](http://198.51.100.7)`" in line and "`![s](http://198.51.100.7/s.png)`" in line


def test_a_runs_outcome_shows_its_name_as_code_and_its_message_escaped():
    from ui.digits_trainer import run_outcome

    class Record:
        name, status, summary = "![x](http://198.51.100.7/x.png)", "interrupted", {}
        message = "cut off while reading [here](http://198.51.100.7)"

    kind, text = run_outcome(Record())
    assert kind == "warning" and text.startswith("`![x](http://198.51.100.7/x.png)` was interrupted: ")
    assert text.endswith(escape_markdown(Record.message))
