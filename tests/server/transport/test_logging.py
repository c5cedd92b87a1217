"""Client errors are logged once per kind and window, with counts and without tracebacks."""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import grpc
import pytest

from pde.risk.v1 import risk_pb2, risk_pb2_grpc
from pde.server.transport.clientlog import ClientErrorLog, LibraryErrorFilter

WINDOW = 2.5


def _bad_calls(channel: grpc.Channel, count: int) -> None:
    stub = risk_pb2_grpc.RiskScoringStub(channel)
    raw_score = channel.unary_unary("/pde.risk.v1.RiskScoring/Score")
    short = risk_pb2.ScoreRequest(customer_id="c", packed=risk_pb2.PackedFeatures(values=[1.0]))
    for i in range(count):
        with pytest.raises(grpc.RpcError) as caught:
            if i % 2:
                stub.Score(short, timeout=5)
            else:
                raw_score(b"\x0a\xff\xff\xff\xff\x0f", timeout=5)  # does not parse
        assert caught.value.code() == grpc.StatusCode.INVALID_ARGUMENT


def _lines(caplog: pytest.LogCaptureFixture, start: str) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith(start)]


def test_logging_bad_requests_once_per_window_with_the_count(
    model_dir: Path, start_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    server = start_server(model_dir, log_window_seconds=WINDOW)
    server.load()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{server.port}") as channel:
            started = time.monotonic()
            _bad_calls(channel, 200)
            assert time.monotonic() - started < WINDOW, "too slow to fit one window here"
            (first,) = _lines(caplog, "Score INVALID_ARGUMENT")
            assert "is not a valid pde.risk.v1.ScoreRequest message" in first.getMessage()
            assert "more like this" not in first.getMessage()
            time.sleep(WINDOW)
            _bad_calls(channel, 3)
            second = _lines(caplog, "Score INVALID_ARGUMENT")[1]
            assert f"[199 more like this in the previous {WINDOW:g} s]" in second.getMessage()
    finally:
        server.stop(grace=1)
    assert "Score INVALID_ARGUMENT: 2 more like this in the last window" in caplog.messages
    assert len(_lines(caplog, "Score INVALID_ARGUMENT")) == 3
    assert not [r for r in caplog.records if r.exc_info or "Traceback" in r.getMessage()]
    assert sum(len(m) for m in caplog.messages) < 10_000


def test_logging_library_filter_drops_tracebacks_and_repeats() -> None:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("pde.test.library")
    logger.propagate = False
    logger.addHandler(Keep())
    now = [0.0]
    limiter = ClientErrorLog(logger, window_seconds=60, clock=lambda: now[0])
    logger.addFilter(LibraryErrorFilter(limiter))
    for _ in range(500):
        try:
            raise ValueError("bad bytes")
        except ValueError:
            logger.exception("Exception deserializing message!")
    now[0] = 61.0
    try:
        raise ValueError("bad bytes")
    except ValueError:
        logger.exception("Exception deserializing message!")
    assert len(records) == 2
    assert all(r.exc_info is None for r in records)
    assert records[0].getMessage() == (
        "Exception deserializing message! (no traceback: caused by a client's message)"
    )
    assert records[1].getMessage().endswith("[499 more like this in the previous 60 s]")
