"""Text a learner or a file provided, made safe for Markdown (Streamlit renders st.write, st.success,
captions, spinners and progress texts as Markdown: a run named `![x](http://...)` would fetch an image).

- as_code: one inline code span, shown exactly as typed (names, data sources, file names);
- escape_markdown: prose that may quote such text (a status message): every punctuation character
  backslash-escaped, so it reads as typed and nothing renders.
"""

from __future__ import annotations

import re


def as_code(text: object) -> str:
    """`text` as one Markdown code span (CommonMark: a fence longer than any run of backticks inside),
    on one line: a learner's run name or a file's data source is shown as typed, never as Markdown."""
    text = " ".join(str(text).split())
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") or not text else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def escape_markdown(text: object) -> str:
    """`text` with every ASCII punctuation character backslash-escaped (CommonMark), on one line."""
    return re.sub(r"([!-/:-@\[-`{-~])", r"\\\1", " ".join(str(text).split()))
