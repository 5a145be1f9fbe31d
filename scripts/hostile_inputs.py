"""Run the hostile-input suite (tests/hardening) and report its worst time and peak memory growth.

    python scripts/hostile_inputs.py          # a table, worst cases first
    python scripts/hostile_inputs.py --json   # one JSON object: cases, worst_seconds, worst_peak_mb, passed

Each case in the suite is measured by tests/hardening/conftest.py (`bounded`): wall time and growth of the
process's peak RSS; this script asks it to write its measurements to a file, then sums them up.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_suite() -> tuple[list[dict], int]:
    """The measurements of every case, and pytest's exit code."""
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "hostile.jsonl"
        env = {**os.environ, "PTE_HOSTILE_REPORT": str(report)}
        done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/hardening"],
                              cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        rows = [json.loads(line) for line in report.read_text().splitlines()] if report.exists() else []
    if done.returncode:
        print(done.stdout[-3000:], file=sys.stderr)
    return rows, done.returncode


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="one JSON object instead of a table")
    parser.add_argument("--top", type=int, default=15, help="rows of the table (worst first)")
    args = parser.parse_args(argv)
    rows, code = run_suite()
    worst_s = max((r["seconds"] for r in rows), default=0.0)
    worst_mb = max((r["peak_mb"] for r in rows), default=0.0)
    if args.json:
        print(json.dumps({"cases": len(rows), "worst_seconds": worst_s, "worst_peak_mb": worst_mb,
                          "passed": code == 0, "rows": rows}))
        return code
    print(f"{'case':<62} {'seconds':>8} {'peak MB':>8}")
    for r in sorted(rows, key=lambda r: (r["seconds"], r["peak_mb"]), reverse=True)[:args.top]:
        print(f"{r['case'][:62]:<62} {r['seconds']:>8.3f} {r['peak_mb']:>8.1f}")
    print(f"{len(rows)} measured cases; worst time {worst_s:.3f} s, worst peak memory growth {worst_mb:.1f} MB; "
          f"suite {'passed' if code == 0 else 'FAILED'}")
    return code


if __name__ == "__main__":
    raise SystemExit(main())
