"""`pde jobs` through the real CLI entry point: enqueue, list, a worker run, the schedule."""

from __future__ import annotations

from pathlib import Path

import pytest

from pde.cli.main import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(["jobs", *args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_cli_jobs_enqueue_list_and_a_worker_run(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, "list")[:2] == (0, "no jobs yet: `pde jobs enqueue KIND`\n")
    assert run(capsys, "enqueue", "realised")[:2] == (
        0,
        "job 1 queued: Realised and estimated performance\n",
    )
    code, out, err = run(capsys, "enqueue", "weekly")
    assert code == 1 and "unknown job kind 'weekly'" in err
    code, out, _ = run(capsys, "worker", "--once")
    assert (code, out) == (0, "job 1: completed\n")
    assert run(capsys, "worker", "--once")[1] == "no job queued\n"
    code, out, _ = run(capsys, "list")
    assert code == 0
    [row] = [line for line in out.splitlines() if line.startswith("│ 1")]
    assert "realised" in row and "100%" in row  # the table is narrow here: cells may be cut
    from pde.jobs.queue import recent

    [job] = recent()
    assert (job.status, job.progress, job.requested_by) == ("completed", 1.0, "system:cli")


def test_cli_jobs_run_needs_a_known_step_and_schedule_prints_the_cron_line(
    database: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "run", "everything")
    assert code == 1 and "expected drift, realised or casework" in err
    code, out, _ = run(capsys, "schedule", "--at", "03:15")
    assert code == 0
    assert out.startswith("15 3 * * * cd ")
    assert out.rstrip().endswith("jobs enqueue nightly >> var/nightly.log 2>&1")
    code, _, err = run(capsys, "schedule", "--at", "25:00")
    assert code == 1 and "expected HH:MM" in err


def test_cli_jobs_run_casework_on_data_without_promises(
    database: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from datetime import date

    from tests.frontend.casework_data import write_call_data

    data = write_call_data(tmp_path / "call", today=date(2026, 11, 30), first="A1", second="B2")
    code, out, _ = run(capsys, "run", "casework", "--data", str(data))
    # The database has neither promises nor these customers: nothing to settle or raise.
    assert (code, out) == (0, "promises kept 0, broken 0; 0 new trigger event(s)\n")
