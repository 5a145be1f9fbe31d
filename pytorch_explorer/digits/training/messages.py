"""What a run says in words, written once in English and shown in the learner's language.

A run's end message and the description of what ran (its fast path) are written by the trainer in a worker
process and kept in the run store in English (the command line and the store speak English). A page shows
them in its own language with `localize(text, lang)`: the text is matched against the templates that can
have written it, and the matched template's translation is filled with the same values (each value
localized in turn: "Stopped; {kept}." holds "its checkpoint of epoch 2 is kept"). A text no template
matches (an error's own message) is shown as it is.

A run that failed with a package error (an ExplorerError, e.g. a DataError for its data) keeps that message in
every other language beside the English one, in its summary (`translations`, written by the worker), and
`run_message(record, lang)` shows a run's message from there, else through localize.

The trainer writes its messages from the templates here (DIVERGED, STOPPED, OUT_OF_MEMORY, DEVICE_FAILED);
JOB_TEMPLATES are the texts the job runner, its worker and the run store write when a run is cut off or ends
without training (their code writes them; a test checks that it still does).
"""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from pytorch_explorer.core.errors import ExplorerError
from pytorch_explorer.i18n import DEFAULT, LANGUAGES, language, translate

if TYPE_CHECKING:
    from pytorch_explorer.runs.store import RunRecord

DIVERGED = ("The loss reached {loss} at step {step} (epoch {epoch}): training diverged and was stopped. "
            "Lower the learning rate (it was {lr}; try {lower}) and train again.")
STOPPED = "Stopped at step {done} of {total}."
OUT_OF_MEMORY = ("The GPU ran out of memory ({device}). Try a smaller batch size or hidden layer, "
                 "or choose device 'cpu' and train again.")
DEVICE_FAILED = "Training on {device} failed: {error}. Choose device 'cpu' and train again."
TRAINER_TEMPLATES = (DIVERGED, STOPPED, OUT_OF_MEMORY, DEVICE_FAILED)
JOB_TEMPLATES = (
    "Stopped before it started.",
    "The run ended without a result.",
    "Interrupted at step {step}: the server that started it stopped; this model is kept.",
    "Cut off while queued (the server or its worker stopped); {kept}.",
    "Cut off while running (the server or its worker stopped); {kept}.",
    "The worker process ended unexpectedly (exit code {code}); {kept}.",
    "Stopped; {kept}.",
    "its checkpoint of epoch {epoch} is kept",
    "it had no checkpoint yet",
)
STORE_TEMPLATES = (  # a run the store holds that no training made: an imported model, a scikit-learn baseline
    "Imported from a .pt file.",
    "Fitted {title} with scikit-learn.",
)
FAST_PATH_TEMPLATES = (  # what ran (fast_path.describe_optimizer and the steps' descriptions), outermost first
    "{optimizer}, CUDA graph ({n} eager warm-up steps, partial batches eager)",
    "{optimizer}, eager steps (CUDA graph capture failed: {failure})",
    "{optimizer}, its kernel called directly",
    "{optimizer}, bf16 autocast",
    "fused {name}",
    "foreach {name}",
    "{name} (for-loop)",
)
TEMPLATES = TRAINER_TEMPLATES + JOB_TEMPLATES + STORE_TEMPLATES + FAST_PATH_TEMPLATES
MAX_DEPTH = 4  # templates inside templates ("{optimizer}, its kernel called directly" holds "fused {name}")
TRANSLATED = "message_in"  # the summary's key for a failed run's message in the other languages


@cache
def _pattern(template: str) -> re.Pattern[str]:
    """The template as a regular expression: its text literally, each {placeholder} a named group."""
    parts = re.split(r"\{(\w+)\}", template)
    return re.compile("".join(re.escape(p) if i % 2 == 0 else f"(?P<{p}>.+?)" for i, p in enumerate(parts)),
                      re.DOTALL)


def localize(text: str, lang: str = DEFAULT, depth: int = 0) -> str:
    """`text` (written from one of TEMPLATES) in `lang`; itself when no template matches or in English."""
    if lang == DEFAULT or not text or depth > MAX_DEPTH:
        return text
    for template in TEMPLATES:
        found = _pattern(template).fullmatch(text)
        if found is not None:
            values = {k: localize(v, lang, depth + 1) for k, v in found.groupdict().items()}
            return translate(template, lang).format(**values)
    return text


def translations(error: BaseException, prefix: str = "") -> dict[str, dict[str, str]]:
    """For a failed run's summary: an ExplorerError's message in each language but English, shaped as the
    worker shapes the English (its first line, after `prefix`); {} for another exception, whose words are
    its own."""
    if not isinstance(error, ExplorerError) or not str(error):
        return {}
    return {TRANSLATED: {lang: prefix + error.message(lang).splitlines()[0] for lang in LANGUAGES if lang != DEFAULT}}


def run_message(record: RunRecord, lang: str = DEFAULT) -> str:
    """A run's end message in `lang`: the translation kept in its summary (see translations), else its
    English message through localize."""
    kept = record.summary.get(TRANSLATED) or {}
    return kept.get(language(lang)) or localize(record.message, lang)
