"""Exceptions whose messages a learner can act on; pages turn them into st.error, in the learner's language.

An `ExplorerError` is raised with a template and its values, so the page can show it in English or Chinese:

    raise SpecError("A shape of {n} dimensions is too many; use at most {most}.", n=len(shape), most=8)

`str(exc)` is the English sentence (the CLI, logs and `pytest.raises(match=...)` read that);
`exc.message("zh")` translates the template with `pytorch_explorer.i18n` and fills the same values. A value
that is itself an `ExplorerError` or a `Said` (words of the package that are not an error, made the same way),
or a `Term` (a word or phrase of the app's, such as a stage's name), is shown in the same language too. A template with no values is used as written (its braces stay braces).
"""

from __future__ import annotations

from typing import Any


class Term(str):
    """A value of a message that is itself words to translate ("the drawing"), not data (a file name, a number)."""


class Said(str):
    """Words the package says that are not an error (a hint, one problem among a file's rows): the English text,
    made like an ExplorerError from a template and values, `Said("row {row}: no label", row=3)`, so that
    `message(said, "zh")` can say it in Chinese."""

    template: str
    values: dict[str, Any]

    def __new__(cls, template: str, **values: Any) -> Said:
        said = super().__new__(cls, template.format(**values) if values else template)
        said.template, said.values = template, values
        return said

    def __reduce__(self):  # pickled (a worker process's report) with its template and values
        return (_said, (type(self), self.template, self.values))

    def message(self, lang: str = "en") -> str:
        """The words in `lang`, translated and filled exactly as an error's message is."""
        return ExplorerError(self.template, **self.values).message(lang)


def _said(cls: type, template: str, values: dict) -> Said:
    return cls(template, **values)


class ExplorerError(Exception):
    """Base class: the message says what went wrong and what to do."""

    def __init__(self, template: object = "", *args: Any, **values: Any) -> None:
        text = str(template)
        super().__init__(text.format(**values) if values else text, *args)
        self.template, self.values = text, values

    def message(self, lang: str = "en") -> str:
        """The message in `lang` ("en" or "zh"); English where the catalogue has no entry for the template."""
        from pytorch_explorer.i18n import translate

        text = translate(self.template, lang)
        if not self.values:
            return text
        values = {k: v.message(lang) if isinstance(v, (ExplorerError, Said)) else translate(v, lang)
                  if isinstance(v, Term) else v for k, v in self.values.items()}
        try:
            return text.format(**values)
        except (KeyError, IndexError, ValueError):  # a translation that lost a placeholder: the English words
            return str(self)

    def __reduce__(self):  # across processes (the bounded worker) with its template, values and attributes
        return (_rebuild, (type(self), self.args), self.__dict__)


def _rebuild(cls: type, args: tuple) -> ExplorerError:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    return error


def message(error: BaseException | str, lang: str = "en") -> str:
    """What to show a learner for an exception or words of the package: an ExplorerError or a Said in `lang`,
    anything else as it says."""
    return error.message(lang) if isinstance(error, (ExplorerError, Said)) else str(error)


class DataError(ExplorerError, ValueError):
    """Digits could not be loaded: names the file (and row) and what to fix."""


class DeviceError(ExplorerError, RuntimeError):
    """The chosen device is not usable here."""


class CheckpointError(ExplorerError, ValueError):
    """A model file could not be loaded."""


class BudgetError(ExplorerError):
    """That would take too long or too much memory: one request may not stall or exhaust the server."""
