"""`bench load`: N jobs through the scheduler against one alone (tiny sizes: figures sane, no timing limits),
and `bench` without the subcommand parsed exactly as before."""

from __future__ import annotations

import json

from pytorch_explorer.cli import build_parser, main
from pytorch_explorer.cli.bench import bench_command, load_command


def test_bench_without_a_subcommand_is_the_old_bench():
    args = build_parser().parse_args(["bench", "--quick", "--json", "--n", "300", "--threads", "1"])
    assert args.func is bench_command and args.bench_command is None
    assert (args.quick, args.json, args.n, args.threads, args.device) == (True, True, 300, 1, "cpu")


def test_bench_load_parses_its_own_flags():
    args = build_parser().parse_args(["bench", "load", "--sessions", "8", "--json", "--url", "http://localhost:8501"])
    assert args.func is load_command and (args.sessions, args.json, args.url, args.epochs) == (8, True,
                                                                                               "http://localhost:8501", 30)


def test_bench_load_runs_n_jobs_and_compares_with_one_alone(capsys):
    assert main(["bench", "load", "--sessions", "2", "--epochs", "1", "--hidden", "16", "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    assert any(line.startswith("2 jobs at once") for line in lines)
    loaded, alone = result["loaded"], result["alone"]
    assert loaded["sessions"] == 2 and loaded["all_done"] and len(loaded["jobs"]) == 2
    assert alone["sessions"] == 1 and alone["all_done"]
    assert loaded["total_samples"] == 2 * alone["total_samples"] == 2 * 3500
    assert loaded["total_samples_per_s"] > 0 and result["fair_share"] > 0
    assert result["fair_share"] == loaded["total_samples_per_s"] / alone["total_samples_per_s"]
    assert result["health"] is None and result["max_cpu_jobs"] == result["cores"]


def test_bad_load_flags_are_one_line_errors(capsys):
    assert main(["bench", "load", "--sessions", "0"]) == 2
    assert capsys.readouterr().err.startswith("error: --sessions must be at least 1")
    assert main(["bench", "load", "--url", "file:///etc/passwd"]) == 2
    assert "--url must start with http" in capsys.readouterr().err
