"""`pde jobs`: background jobs recorded in the database, their worker, and the nightly schedule."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

import typer

from pde.cli.cmd_db import CLI_ACTOR
from pde.core.errors import PdeError


def _register_queue(jobs_app: typer.Typer) -> None:
    @jobs_app.command(name="enqueue")
    def enqueue(
        kind: str = typer.Argument(
            ..., help="generate, retrain, score, drift, realised or nightly."
        ),
        customers: int | None = typer.Option(None, "--customers", help="generate: customers."),
        drift_from_week: int | None = typer.Option(
            None, "--drift-from-week", help="generate: shift income and spending from this week."
        ),
        quick: bool = typer.Option(False, "--quick", help="retrain: few trees."),
        weeks: int | None = typer.Option(None, "--weeks", min=1, help="score/nightly: dates."),
    ) -> None:
        """Record a job for `pde jobs worker` to run."""
        from pde.cli.console import console
        from pde.jobs.queue import enqueue as record
        from pde.jobs.queue import kind_of

        params: dict[str, object] = {"quick": quick}
        for name, value in (
            ("customers", customers),
            ("drift_from_week", drift_from_week),
            ("weeks", weeks),
        ):
            if value is not None:
                params[name] = value
        job = record(kind_of(kind), requested_by=CLI_ACTOR, params=params)
        console().print(f"job {job.job_id} queued: {job.title}")

    @jobs_app.command(name="list")
    def list_jobs(limit: int = typer.Option(20, "--limit", min=1)) -> None:
        """The latest jobs, newest first: status, progress, duration, error."""
        from rich.table import Table

        from pde.cli.console import console
        from pde.jobs.queue import recent

        found = recent(limit=limit)
        if not found:
            console().print("no jobs yet: `pde jobs enqueue KIND`")
            return
        table = Table(title="Jobs")
        for column in ("id", "kind", "status", "progress", "by", "queued", "duration", "error"):
            table.add_column(column)
        for job in found:
            table.add_row(
                str(job.job_id),
                job.kind,
                job.status,
                f"{job.progress:.0%}",
                job.requested_by,
                f"{job.enqueued_at:%Y-%m-%d %H:%M:%S}",
                "–" if job.duration_s is None else f"{job.duration_s:.0f} s",
                job.error or "",
            )
        console().print(table)


def _register_worker(jobs_app: typer.Typer) -> None:
    @jobs_app.command(name="worker")
    def worker(
        once: bool = typer.Option(False, "--once", help="Run at most one queued job, then exit."),
        poll: float = typer.Option(2.0, "--poll", min=0.1, help="Seconds between polls."),
        nightly_at: str | None = typer.Option(
            None, "--nightly-at", help="HH:MM UTC: also queue the nightly job every day then."
        ),
    ) -> None:
        """Run queued jobs one at a time until stopped (Ctrl-C or SIGTERM)."""
        import signal
        import threading

        from pde.cli.console import console
        from pde.core.settings import get_settings
        from pde.jobs.metrics import WorkerMetrics
        from pde.jobs.schedule import SCHEDULE_ACTOR, parse_time, run_schedule
        from pde.jobs.worker import Worker

        at = parse_time(nightly_at) if nightly_at else None
        settings = get_settings()
        metrics = WorkerMetrics()
        if settings.worker_metrics_port and not once:
            metrics.serve(host=settings.metrics_host, port=settings.worker_metrics_port)
            console().print(
                f"Prometheus metrics on http://{settings.metrics_host}:"
                f"{settings.worker_metrics_port}/metrics"
            )
        runner = Worker(poll_seconds=poll, metrics=metrics)
        failed = runner.recover()
        if failed:
            console().print(f"failed jobs left running by a stopped worker: {failed}")
        if once:
            job = runner.run_once()
            console().print("no job queued" if job is None else f"job {job.id}: {job.status}")
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        if at is not None:
            from pde.db.models import JobKind
            from pde.jobs.queue import enqueue as record

            def nightly() -> None:
                record(JobKind.NIGHTLY, requested_by=SCHEDULE_ACTOR)

            timer = threading.Thread(
                target=run_schedule, args=(stop, at, nightly), name="nightly", daemon=True
            )
            timer.start()
            console().print(f"the nightly job is queued every day at {nightly_at} UTC")
        console().print(f"worker {runner.name} polling for jobs (Ctrl-C stops)")
        runner.run_forever(stop)


def _register_run(jobs_app: typer.Typer) -> None:
    @jobs_app.command(name="run")
    def run(
        what: str = typer.Argument(..., help="drift, realised or casework"),
        data: Path | None = typer.Option(None, "--data", help="Canonical data (PDE_DATA_DIR)."),
        model_dir: Path | None = typer.Option(None, "--model-dir", help="[PDE_MODEL_DIR]"),
        latest: int = typer.Option(4, "--latest", min=1, help="drift: the latest dates."),
    ) -> None:
        """Run a step now, in this process: drift of the latest scored dates, realised and
        estimated performance of every scored date, or casework (settle promises to pay
        against the data's payments, raise the data's trigger events)."""
        from pde.cli.console import console
        from pde.core.settings import get_settings
        from pde.db.models.casework import PromiseStatus

        settings = get_settings()
        data_dir = data or settings.data_dir
        if what == "drift":
            from pde.jobs.drift import recompute_drift

            for found in recompute_drift(
                data_dir=data_dir, model_dir=model_dir or settings.model_dir, latest=latest
            ):
                top = ", ".join(f"{n} {v:.3f}" for n, v in found.top_features[:3])
                console().print(
                    f"{found.as_of} {found.model_version}: drift {found.level}, score PSI"
                    f" {found.score_psi:.3f} (KS p {found.score_ks_pvalue:.3g}); {top}"
                )
            return
        if what == "realised":
            from pde.jobs.realised import measure_performance

            for date_figures in measure_performance(data_dir=data_dir):
                guess, actual = date_figures.estimated, date_figures.realised
                line = f"{date_figures.as_of} {date_figures.model_version}: estimated AUC " + (
                    "–" if guess.auc is None else f"{guess.auc:.3f}"
                )
                if actual is not None:
                    auc = "–" if actual.auc is None else f"{actual.auc:.3f}"
                    line += (
                        f", realised AUC {auc} on {actual.labelled_rows:,} outcomes; predicted"
                        f" {actual.predicted_rate:.2%} against observed {actual.observed_rate:.2%}"
                    )
                console().print(line)
            return
        if what == "casework":
            from pde.db.engine import get_engine
            from pde.jobs.casework import raise_triggers, settle_promises

            engine = get_engine()
            settled = settle_promises(engine, data_dir)
            raised = raise_triggers(engine, data_dir)
            console().print(
                f"promises kept {settled[PromiseStatus.KEPT]}, broken"
                f" {settled[PromiseStatus.BROKEN]}; {raised} new trigger event(s)"
            )
            return
        raise PdeError(f"pde jobs run {what!r}: expected drift, realised or casework")


def cron_line(*, hour: int, minute: int, root: Path) -> str:
    """The crontab entry that queues the nightly job (the worker runs it)."""
    pde = shutil.which("pde") or f"{sys.executable} -m pde.cli.main"
    command = f"cd {shlex.quote(str(root))} && {pde} jobs enqueue nightly"
    return f"{minute} {hour} * * * {command} >> var/nightly.log 2>&1"


def _register_schedule(jobs_app: typer.Typer) -> None:
    @jobs_app.command(name="schedule")
    def schedule(
        at: str = typer.Option("02:30", "--at", help="HH:MM, local time of the nightly run."),
        install: bool = typer.Option(False, "--install", help="Add it to this user's crontab."),
    ) -> None:
        """Print (or install) the cron line that queues the nightly run every day."""
        import subprocess

        from pde.cli.console import console

        hour, _, minute = at.partition(":")
        if not (hour.isdigit() and minute.isdigit() and int(hour) < 24 and int(minute) < 60):
            raise PdeError(f"--at {at!r}: expected HH:MM")
        line = cron_line(hour=int(hour), minute=int(minute), root=Path.cwd())
        if not install:
            console().print(line, soft_wrap=True)
            return
        if shutil.which("crontab") is None:
            raise PdeError("crontab is not installed here: add the line printed without --install")
        existing = subprocess.run(["crontab", "-l"], check=False, capture_output=True, text=True)
        lines = [x for x in existing.stdout.splitlines() if "jobs enqueue nightly" not in x]
        subprocess.run(
            ["crontab", "-"], input="\n".join([*lines, line]) + "\n", check=True, text=True
        )
        console().print(f"installed: {line}", soft_wrap=True)


def register(app: typer.Typer) -> None:
    jobs_app = typer.Typer(
        name="jobs",
        help="Background jobs: enqueue, list, the worker, monitoring runs, the schedule.",
        no_args_is_help=True,
    )
    _register_queue(jobs_app)
    _register_worker(jobs_app)
    _register_run(jobs_app)
    _register_schedule(jobs_app)
    app.add_typer(jobs_app)
