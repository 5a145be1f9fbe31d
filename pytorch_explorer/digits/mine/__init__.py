"""My digits: the learner's own labelled drawings as data, and fine-tuning a model on them.

- `store`: `MyDigits`, a folder in the article's layout beside the workspace's runs
  (`<run store root>/<workspace>/my_digits/Train/train.csv` and `Train/Images/train/*.png`, 28x28
  greyscale PNGs written atomically), capped at MAX_DIGITS; add, delete, load as a dataset;
- `archive`: export as a zip in that layout, and import such a zip (size caps, PNG only, no path
  traversal, bad rows and files listed and skipped);
- `finetune`: a generator of progress events that fine-tunes a copy of a model on my digits, alone or
  mixed with its own training digits, measuring my digits and the validation set before and after
  (and saying when the model forgot: catastrophic forgetting).

The words meant for a learner (notes, the import's summary) take a `lang` ("en" or "zh"; pytorch_explorer.i18n).
"""

from pytorch_explorer.digits.mine.archive import (MAX_ZIP_BYTES, ArchiveError, ImportReport, export_zip, import_zip,
                                                  read_zip)
from pytorch_explorer.digits.mine.finetune import (BASE_NOTE, MODE_WORDS, MODES, FineTuneEvent, FineTuneResult, FineTuneSettings,
                                                   base_digits, fine_tune, fine_tune_code, fine_tune_to_completion,
                                                   forgetting_note)
from pytorch_explorer.digits.mine.store import CAP_NOTE, MAX_DIGITS, cap_note, Entry, MyDigits, MyDigitsError

__all__ = [
    "ArchiveError", "BASE_NOTE", "CAP_NOTE", "cap_note", "MAX_ZIP_BYTES", "Entry", "FineTuneEvent", "FineTuneResult", "FineTuneSettings", "ImportReport",
    "MAX_DIGITS", "MODES", "MODE_WORDS", "MyDigits", "MyDigitsError", "base_digits", "export_zip", "fine_tune", "fine_tune_code",
    "fine_tune_to_completion", "forgetting_note", "import_zip", "read_zip",
]
