"""`RiskClient`: the blocking Python client of the scoring service.

with RiskClient("127.0.0.1:50051", token=...) as client:
    result = client.score("c-1", {"salary_delay_days": 9.0, ...}, top_reasons=3)
    for row in client.score_many(frame, id_column="customer_id"):
        ...
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from pde.client import requests, results
from pde.client.channel import SERVICE, ClientOptions
from pde.client.errors import from_rpc_error
from pde.risk.v1 import risk_pb2, risk_pb2_grpc

if TYPE_CHECKING:
    from pde.core.settings import Settings


class RiskClient:
    """Blocking client; thread-safe (one channel, many calls). Failed calls raise
    `pde.client.errors.RiskServiceError`; UNAVAILABLE is retried by the channel first."""

    def __init__(
        self,
        address: str,
        *,
        token: str | None = None,
        tls: bool = False,
        root_certificates: Path | None = None,
        timeout: float = 5.0,
        stream_timeout: float | None = 3600.0,
        max_message_mb: int = 64,
    ) -> None:
        self.options = ClientOptions(
            address=address,
            token=token,
            tls=tls,
            root_certificates=root_certificates,
            timeout=timeout,
            stream_timeout=stream_timeout,
            max_message_mb=max_message_mb,
        )
        credentials = self.options.credentials()
        channel_options = self.options.channel_options()
        self._channel = (
            grpc.secure_channel(self.options.target, credentials, options=channel_options)
            if credentials
            else grpc.insecure_channel(self.options.target, options=channel_options)
        )
        self._stub = risk_pb2_grpc.RiskScoringStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)
        self._metadata = self.options.metadata()
        self._info: results.ModelInfo | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> RiskClient:
        """A client of the server the settings name: address, token, TLS, message size."""
        options: dict[str, Any] = {
            "token": settings.grpc_token.get_secret_value() if settings.grpc_token else None,
            "tls": settings.grpc_tls_cert is not None,
            "root_certificates": settings.grpc_tls_cert,
            "max_message_mb": settings.grpc_max_message_mb,
        }
        options.update(overrides)
        address = options.pop("address", settings.grpc_address)
        return cls(address, **options)

    @classmethod
    def from_options(cls, options: ClientOptions) -> RiskClient:
        """A client like the one `options` came from (sent to another process)."""
        return cls(
            options.address,
            token=options.token,
            tls=options.tls,
            root_certificates=options.root_certificates,
            timeout=options.timeout,
            stream_timeout=options.stream_timeout,
            max_message_mb=options.max_message_mb,
        )

    def __enter__(self) -> RiskClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._channel.close()

    def _call(self, method: str, request: Any, timeout: float | None) -> Any:
        try:
            return getattr(self._stub, method)(
                request,
                timeout=self.options.timeout if timeout is None else timeout,
                metadata=self._metadata,
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error, method=method) from None

    def score(
        self,
        customer_id: str,
        features: requests.Features,
        *,
        top_reasons: int = 0,
        effects: bool = False,
        time_to_miss: bool = False,
        model_version: str = "",
        timeout: float | None = None,
    ) -> results.ScoreResult:
        """Scores one customer from {name: value}, values in model order, or a RawActivity;
        `time_to_miss` also asks for the forecast of when the miss comes (`result.miss`)."""
        request = risk_pb2.ScoreRequest(
            customer_id=customer_id,
            top_reasons=top_reasons,
            effects=effects,
            time_to_miss=time_to_miss,
            model_version=model_version,
            **requests.row_fields(features),
        )
        return results.score_result(self._call("Score", request, timeout))

    def explain(
        self,
        customer_id: str,
        features: requests.Features,
        *,
        top_k: int = 5,
        model_version: str = "",
        timeout: float | None = None,
    ) -> results.Explanation:
        """Per-feature contributions and the top_k reasons that raise the risk."""
        request = risk_pb2.ExplainRequest(
            customer_id=customer_id,
            top_k=top_k,
            model_version=model_version,
            **requests.row_fields(features),
        )
        return results.explanation(self._call("Explain", request, timeout))

    def model_info(self, *, timeout: float | None = None) -> results.ModelInfo:
        info = results.model_info(self._call("GetModelInfo", risk_pb2.ModelInfoRequest(), timeout))
        self._info = info
        return info

    def reload(
        self, bundle_path: str = "", *, challenger: bool = False, timeout: float | None = 120.0
    ) -> results.ModelInfo:
        """Asks the server to load a bundle (empty = its `current` one); needs the token.
        With `challenger`, loads it as the shadow challenger instead (empty: unloads it)."""
        request = risk_pb2.ReloadRequest(bundle_path=bundle_path, challenger=challenger)
        info = results.model_info(self._call("ReloadModel", request, timeout))
        self._info = info
        return info

    def health(self, *, service: str = SERVICE, timeout: float | None = None) -> str:
        """The health status name: SERVING, NOT_SERVING, SERVICE_UNKNOWN or UNKNOWN."""
        try:
            reply = self._health.Check(
                health_pb2.HealthCheckRequest(service=service),
                timeout=self.options.timeout if timeout is None else timeout,
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error, method="Health.Check") from None
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))

    def _tier_names(self, version: str) -> list[str]:
        if self._info is None or self._info.version != version:
            self.model_info()
        assert self._info is not None
        return [t.name for t in self._info.tiers]

    def score_batches(
        self,
        rows: Iterable[requests.Row] | Any,
        *,
        id_column: str | None = None,
        chunk_rows: int = requests.DEFAULT_CHUNK_ROWS,
        model_version: str = "",
        effects: bool = False,
        timeout: float | None = None,
    ) -> Iterator[results.BatchScores]:
        """Streams rows in chunks (packed float32); yields each chunk's scores in order.

        `rows` is a pandas / polars DataFrame (features selected by name, ids from
        `id_column`) or an iterable of (id, features). Memory stays bounded: chunks are built
        as the stream's flow control lets them go. With a shadow challenger on the server
        that takes features the champion does not, a DataFrame's rows carry those too.
        """
        info = self.model_info()
        n = len(info.feature_names)
        names, own = requests.shadow_layout(info.feature_names, info.challenger_feature_names, rows)
        batches = (
            requests.batch(
                ids,
                values[:, :n],
                model_version=model_version,
                challenger_values=None if own is None else values[:, own],
                effects=effects,
            )
            for ids, values in requests.chunks(
                rows, names, id_column=id_column, chunk_rows=chunk_rows
            )
        )
        call = self._stub.ScoreStream(
            batches,
            timeout=self.options.stream_timeout if timeout is None else timeout,
            metadata=self._metadata,
        )
        try:
            for message in call:
                yield results.batch_scores(message, self._tier_names(message.model_version))
        except grpc.RpcError as error:
            raise from_rpc_error(error, method="ScoreStream") from None
        finally:
            call.cancel()

    def explain_batches(
        self,
        rows: Iterable[requests.Row] | Any,
        *,
        top_k: int = 3,
        id_column: str | None = None,
        chunk_rows: int = requests.DEFAULT_EXPLAIN_CHUNK_ROWS,
        model_version: str = "",
        timeout: float | None = None,
    ) -> Iterator[results.BatchExplanations]:
        """Streams rows in chunks (packed float32, as `score_batches`) to `ExplainStream`;
        yields each chunk's probabilities and top `top_k` reasons per row, in order."""
        names = self.model_info().feature_names
        batches = (
            requests.explain_batch(ids, values, top_k=top_k, model_version=model_version)
            for ids, values in requests.chunks(
                rows, names, id_column=id_column, chunk_rows=chunk_rows
            )
        )
        call = self._stub.ExplainStream(
            batches,
            timeout=self.options.stream_timeout if timeout is None else timeout,
            metadata=self._metadata,
        )
        try:
            for message in call:
                yield results.batch_explanations(message)
        except grpc.RpcError as error:
            raise from_rpc_error(error, method="ExplainStream") from None
        finally:
            call.cancel()

    def score_many(
        self,
        rows: Iterable[requests.Row] | Any,
        *,
        id_column: str | None = None,
        chunk_rows: int = requests.DEFAULT_CHUNK_ROWS,
        model_version: str = "",
        effects: bool = False,
        timeout: float | None = None,
    ) -> Iterator[results.RowScore]:
        """Like `score_batches`, one `RowScore` per input row, in input order."""
        for chunk in self.score_batches(
            rows,
            id_column=id_column,
            chunk_rows=chunk_rows,
            model_version=model_version,
            effects=effects,
            timeout=timeout,
        ):
            yield from chunk.rows()
