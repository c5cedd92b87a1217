"""Hostile and random messages for every RPC of the scoring server (used by `pde bench fuzz`
and the fuzz tests).

A bounded random fuzzer, seeded and so repeatable: each case is one call (a unary request or
a stream of batches) as serialized bytes, built from the real message types with values
drawn from pools of edge cases (NaN, +-Inf, 1e308, int32 extremes, timestamps past year
9999, NUL bytes, megabyte strings, valid and unknown names), and in a share of the cases
mangled afterwards (truncated, bytes flipped or inserted, or replaced by random bytes), so
that the server's parsing is hit as well as its checks. Half the cases are clean (ordinary
values, valid names and categories) but for their structure, so that they get past the first
checks and reach scoring, explanations and feature computation.
"""

from __future__ import annotations

import math
import random
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp
from grpc_health.v1 import health_pb2

from pde.bench import fuzz_inference
from pde.contracts.data.schema import CUSTOMERS, PAYMENTS, TRANSACTIONS
from pde.risk.v1 import risk_pb2

SERVICE = "/pde.risk.v1.RiskScoring/"
HEALTH_CHECK = "/grpc.health.v1.Health/Check"
MANGLED_SHARE = 0.15
HOSTILE_SHARE = 0.5

FLOATS = (0.0, -0.0, 1.0, -1.0, 0.5, 1e-45, 5e-324, 3.4028234e38, 3.5e38, 1e308, -1e308,
          float("nan"), float("inf"), float("-inf"), 1e15, -1e15, 123456.789)  # fmt: skip
INT32 = (0, 1, -1, 2, 3, 5, 100, 2**31 - 1, -(2**31), 1900, 2000, 9999)
SECONDS = (0, 1, -1, 1_700_000_000, 1_750_000_000, -2_208_988_800, -2_208_988_801,
           7_258_118_400, -62_135_596_800, 253_402_300_799, 253_402_300_800, 2**62, -(2**62),
           2**63 - 1, -(2**63))  # fmt: skip
NANOS = (0, 1, 999_999_999, 1_000_000_000, -1, 2**31 - 1, -(2**31))
STRINGS = ("", "a", " ", "\0", "a\0b", "..", "../../etc/passwd", "/etc", "/dev/null", "%s%n",
           "ü€😀", "\u202e", "x" * 300, "1e308", "NaN", "null", "'\"", "\n\r\t")  # fmt: skip
LONG_LENGTHS = (1_000, 5_000, 100_000, 1_000_000)


def _allowed(table: Any, column: str) -> tuple[str, ...]:
    return tuple(table.column(column).allowed)


@dataclass(frozen=True)
class Case:
    """One call: the method, its request messages as bytes, and the call's metadata."""

    method: str
    requests: tuple[bytes, ...]
    streaming: bool
    metadata: tuple[tuple[str, str], ...]
    label: str


class MessageFuzzer:
    """Draws cases for every RPC from `rng`; `feature_names` and `version` are the served
    bundle's, so that part of the cases are valid enough to be scored."""

    def __init__(
        self,
        rng: random.Random,
        *,
        feature_names: Sequence[str],
        version: str,
        token: str | None = None,
        methods: Sequence[str] = (),
    ) -> None:
        self.rng = rng
        self.hostile = True  # drawn again for each case
        self.names = list(feature_names)
        self.version = version
        self.token = token
        builders: dict[str, Callable[[], Case]] = {
            "Score": self._score,
            "Explain": self._explain,
            "ScoreStream": self._stream,
            "GetModelInfo": self._model_info,
            "ReloadModel": self._reload,
            "Health": self._health,
            "ExplainStream": self._explain_stream,
            "ModelInfer": self._infer,
            "InferenceProbe": self._inference_probe,
        }
        weights = {"Score": 30, "Explain": 15, "ScoreStream": 20, "GetModelInfo": 5,
                   "ReloadModel": 20, "Health": 10, "ExplainStream": 5, "ModelInfer": 20,
                   "InferenceProbe": 10}  # fmt: skip
        chosen = [m for m in builders if not methods or m in methods]
        self._builders = [builders[m] for m in chosen]
        self._weights = [weights[m] for m in chosen]

    # -- values ----------------------------------------------------------------------------
    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def float_(self) -> float:
        if not self.hostile:
            return self.rng.gauss(0, 2) if self.chance(0.95) else math.nan
        return self.rng.choice(FLOATS) if self.chance(0.3) else self.rng.gauss(0, 2)

    def int32(self) -> int:
        if not self.hostile:
            return self.rng.randint(0, 10)
        return self.rng.choice(INT32) if self.chance(0.7) else self.rng.randint(-(2**31), 2**31 - 1)

    def string(self, valid: Sequence[str] = (), *, long: bool = True) -> str:
        """A valid choice, an edge case, a long run (when `long`) or random characters."""
        roll = self.rng.random()
        if valid and (roll < 0.6 or not self.hostile):
            return self.rng.choice(list(valid))
        if roll < 0.75:
            return self.rng.choice(STRINGS)
        if roll < 0.8 and long:
            return self.rng.choice("ab\0é") * self.rng.choice(LONG_LENGTHS)
        return "".join(chr(self.rng.randint(32, 0x2FFF)) for _ in range(self.rng.randint(1, 30)))

    def count(self) -> int:
        if not self.hostile or self.chance(0.97):
            return self.rng.choice((0, 1, 1, 2, 3, 10, 50))
        return 2_000

    def stamp(self, *, plausible: float = 0.7) -> Timestamp:
        if not self.hostile or self.chance(plausible):
            return Timestamp(seconds=self.rng.randint(1_600_000_000, 1_760_000_000))
        return Timestamp(seconds=self.rng.choice(SECONDS), nanos=self.rng.choice(NANOS))

    def metadata(self) -> tuple[tuple[str, str], ...]:
        if not self.token:
            return ()
        roll = self.rng.random()
        if roll < 0.9 or not self.hostile:
            return (("authorization", f"Bearer {self.token}"),)
        if roll < 0.95:
            return ()
        return (
            ("authorization", self.rng.choice(("Bearer", "Bearer x", "Basic Zm9v", "x" * 500))),
        )

    # -- inputs ----------------------------------------------------------------------------
    def _fill_input(self, request: Any) -> str:
        roll = self.rng.random() * (1.0 if self.hostile else 0.95)
        if roll < 0.35:
            n = len(self.names) if not self.hostile or self.chance(0.7) else self.count()
            request.packed.values.extend(self.float_() for _ in range(n))
            return "packed"
        if roll < 0.6:
            if not self.hostile:
                for name in self.names:
                    request.named.values[name] = self.float_()
                return "named"
            names = list(self.names) if self.chance(0.6) else self.rng.sample(self.names, 1)
            names += [self.string() for _ in range(self.rng.choice((0, 0, 1, 3)))]
            for name in names:
                request.named.values[name] = self.float_()
            return "named"
        if roll < 0.95:
            self._activity(request.activity)
            return "activity"
        return "none"

    def money(self) -> float:
        """An amount: non-negative and finite in clean cases, anything in hostile ones."""
        if not self.hostile:
            return round(abs(self.rng.gauss(0, 1000)), 2)
        return abs(self.float_()) if self.chance(0.8) else self.float_()

    def _activity(self, activity: risk_pb2.RawActivity) -> None:
        if not self.hostile or self.chance(0.95):
            activity.as_of.CopyFrom(self.stamp(plausible=0.8))
        profile = activity.profile
        if not self.hostile or self.chance(0.8):
            profile.open_date.CopyFrom(self.stamp())
        hostile_year = self.hostile and self.chance(0.3)
        profile.birth_year = self.int32() if hostile_year else self.rng.randint(1930, 2005)
        profile.income_bracket = self.string(_allowed(CUSTOMERS, "income_bracket"))
        profile.employment_type = self.string(_allowed(CUSTOMERS, "employment_type"))
        profile.region = self.string(("north", "south"))
        profile.product = self.string(_allowed(CUSTOMERS, "product"))
        profile.credit_limit = self.money()
        profile.outstanding_balance = self.money()
        profile.monthly_obligation = self.money()
        if self.chance(0.5):
            profile.declared_income = self.money()
        for _ in range(self.count()):
            t = activity.transactions.add(
                amount=self.rng.gauss(0, 500) if not self.hostile else self.float_(),
                category=self.string(_allowed(TRANSACTIONS, "category"), long=False),
                channel=self.string(_allowed(TRANSACTIONS, "channel"), long=False),
            )
            t.timestamp.CopyFrom(self.stamp())
            if self.chance(0.3):
                t.balance_after = self.money()
        for _ in range(self.count()):
            paid, auto = self.chance(0.6), self.chance(0.5)
            statuses = _allowed(PAYMENTS, "auto_debit_status") if auto else ("",)
            p = activity.payments.add(
                amount_due=self.money(),
                amount_paid=self.money() if paid or self.hostile else 0.0,
                auto_debit=auto,
                auto_debit_status=self.string(statuses, long=False),
                kind=self.string(_allowed(PAYMENTS, "kind"), long=False),
            )
            p.due_date.CopyFrom(self.stamp())
            if paid:
                p.paid_date.CopyFrom(self.stamp())

    def _version(self) -> str:
        roll = self.rng.random()
        if roll < 0.8 or not self.hostile:
            return "" if roll < 0.8 else self.version
        return self.version if roll < 0.9 else self.string()

    # -- cases -----------------------------------------------------------------------------
    def _case(self, method: str, messages: Sequence[Message], label: str) -> Case:
        data = [m.SerializeToString() for m in messages]
        if self.hostile and self.chance(2 * MANGLED_SHARE):
            data = [self.mangle(d) for d in data] or [self.mangle(b"")]
            label += "/mangled"
        streaming = method in ("ScoreStream", "ExplainStream")
        path = HEALTH_CHECK if method == "Health" else SERVICE + method
        if method in ("ModelInfer", *fuzz_inference.PROBES):
            path = fuzz_inference.SERVICE + method
        return Case(path, tuple(data), streaming, self.metadata(), f"{method}/{label}")

    def _score(self) -> Case:
        request = risk_pb2.ScoreRequest(customer_id=self.string(("C0000001", "c-1")))
        kind = self._fill_input(request)
        request.top_reasons = self.int32() if self.chance(0.3) else self.rng.randint(0, 5)
        request.model_version = self._version()
        return self._case("Score", [request], kind)

    def _explain(self) -> Case:
        request = risk_pb2.ExplainRequest(customer_id=self.string(("C0000001",)))
        kind = self._fill_input(request)
        request.top_k = self.int32() if self.chance(0.3) else self.rng.randint(0, 8)
        request.model_version = self._version()
        return self._case("Explain", [request], kind)

    def _batch(self) -> risk_pb2.ScoreBatch:
        if self.hostile and self.chance(0.05):  # over the row limit: refused before parsing rows
            ids = [f"r{i}" for i in range(100_001)]
            return risk_pb2.ScoreBatch(row_ids=ids, features=self.rng.randbytes(64))
        rows = self.rng.choice((0, 1, 2, 7, 64, 500) if self.hostile else (1, 2, 7, 64, 500))
        ids = [
            self.string((f"r{i}",), long=False) if self.chance(0.05) else f"r{i}"
            for i in range(rows)
        ]
        width = len(self.names) * 4
        if not self.hostile or self.chance(0.7):
            values = [self.float_() for _ in range(min(rows, 64) * len(self.names))]
            packed = struct.pack(f"<{len(values)}f", *(_f32(v) for v in values))
            features = (packed * (rows // 64 + 1))[: rows * width]
        else:
            features = self.rng.randbytes(self.rng.choice((0, 1, 3, width - 1, width + 1, 999)))
        return risk_pb2.ScoreBatch(row_ids=ids, features=features, model_version=self._version())

    def _stream(self) -> Case:
        batches = [self._batch() for _ in range(self.rng.choice((0, 1, 1, 2, 4)))]
        return self._case("ScoreStream", batches, f"{len(batches)} batches")

    def _explain_stream(self) -> Case:
        batches = []
        for _ in range(self.rng.choice((0, 1, 1, 2))):
            batch = self._batch()
            top_k = self.int32() if self.chance(0.2) else self.rng.randint(0, 5)
            batches.append(
                risk_pb2.ExplainBatch(
                    row_ids=batch.row_ids,
                    features=batch.features,
                    top_k=top_k,
                    model_version=batch.model_version,
                )
            )
        return self._case("ExplainStream", batches, f"{len(batches)} batches")

    def _model_info(self) -> Case:
        return self._case("GetModelInfo", [risk_pb2.ModelInfoRequest()], "plain")

    def _reload(self) -> Case:
        # Never the empty path or a bundle's name: those are real (costly) reloads.
        roll = self.rng.random()
        if roll < 0.4:
            path = self.rng.choice(STRINGS[1:]) + self.rng.choice(("", "/", "\0", "x" * 5000))
        elif roll < 0.6:
            path = f"{self.version}/" + self.rng.choice(("manifest.json", "x", "..", "\0"))
        else:
            path = "fuzz-" + self.string()
        return self._case("ReloadModel", [risk_pb2.ReloadRequest(bundle_path=path)], "path")

    def _health(self) -> Case:
        service = self.string(("", "pde.risk.v1.RiskScoring"))
        return self._case("Health", [health_pb2.HealthCheckRequest(service=service)], "check")

    def _infer(self) -> Case:
        request, label = fuzz_inference.infer_request(self)
        return self._case("ModelInfer", [request], label)

    def _inference_probe(self) -> Case:
        method, request, label = fuzz_inference.probe_request(self)
        return self._case(method, [request], label)

    def mangle(self, data: bytes) -> bytes:
        """The bytes truncated, with bytes flipped or inserted, or random bytes instead."""
        roll = self.rng.random()
        if roll < 0.25 or not data:
            return self.rng.randbytes(self.rng.choice((1, 2, 5, 16, 100, 1000)))
        if roll < 0.5:
            return data[: self.rng.randrange(len(data))]
        buffer = bytearray(data)
        for _ in range(self.rng.randint(1, 8)):
            at = self.rng.randrange(len(buffer))
            if roll < 0.75:
                buffer[at] = self.rng.randrange(256)
            else:
                buffer[at:at] = self.rng.randbytes(self.rng.randint(1, 6))
        return bytes(buffer)

    def case(self) -> Case:
        """One case, of a method drawn by weight."""
        self.hostile = self.chance(HOSTILE_SHARE)
        return self.rng.choices(self._builders, weights=self._weights)[0]()


def _f32(value: float) -> float:
    """float32-representable: out-of-range values become +-Inf, as a client's cast would."""
    try:
        struct.pack("<f", value)
    except OverflowError:
        return math.copysign(math.inf, value)
    return value
