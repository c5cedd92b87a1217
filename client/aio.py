"""`AsyncRiskClient`: the asyncio twin of `RiskClient`, same methods and results."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from pathlib import Path
from typing import Any

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc

from pde.client import requests, results
from pde.client.channel import SERVICE, ClientOptions
from pde.client.errors import from_rpc_error
from pde.risk.v1 import risk_pb2, risk_pb2_grpc


class AsyncRiskClient:
    """Asyncio client; use within one event loop. Errors raise `RiskServiceError`."""

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
            grpc.aio.secure_channel(self.options.target, credentials, options=channel_options)
            if credentials
            else grpc.aio.insecure_channel(self.options.target, options=channel_options)
        )
        self._stub = risk_pb2_grpc.RiskScoringStub(self._channel)
        self._health = health_pb2_grpc.HealthStub(self._channel)
        self._metadata = self.options.metadata()
        self._info: results.ModelInfo | None = None

    async def __aenter__(self) -> AsyncRiskClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._channel.close(None)

    async def _call(self, method: str, request: Any, timeout: float | None) -> Any:
        try:
            return await getattr(self._stub, method)(
                request,
                timeout=self.options.timeout if timeout is None else timeout,
                metadata=self._metadata,
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error, method=method) from None

    async def score(
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
        request = risk_pb2.ScoreRequest(
            customer_id=customer_id,
            top_reasons=top_reasons,
            effects=effects,
            time_to_miss=time_to_miss,
            model_version=model_version,
            **requests.row_fields(features),
        )
        return results.score_result(await self._call("Score", request, timeout))

    async def explain(
        self,
        customer_id: str,
        features: requests.Features,
        *,
        top_k: int = 5,
        model_version: str = "",
        timeout: float | None = None,
    ) -> results.Explanation:
        request = risk_pb2.ExplainRequest(
            customer_id=customer_id,
            top_k=top_k,
            model_version=model_version,
            **requests.row_fields(features),
        )
        return results.explanation(await self._call("Explain", request, timeout))

    async def model_info(self, *, timeout: float | None = None) -> results.ModelInfo:
        message = await self._call("GetModelInfo", risk_pb2.ModelInfoRequest(), timeout)
        self._info = results.model_info(message)
        return self._info

    async def reload(
        self, bundle_path: str = "", *, challenger: bool = False, timeout: float | None = 120.0
    ) -> results.ModelInfo:
        """As `RiskClient.reload`: with `challenger`, the shadow challenger (empty unloads)."""
        request = risk_pb2.ReloadRequest(bundle_path=bundle_path, challenger=challenger)
        self._info = results.model_info(await self._call("ReloadModel", request, timeout))
        return self._info

    async def health(self, *, service: str = SERVICE, timeout: float | None = None) -> str:
        try:
            reply = await self._health.Check(
                health_pb2.HealthCheckRequest(service=service),
                timeout=self.options.timeout if timeout is None else timeout,
            )
        except grpc.RpcError as error:
            raise from_rpc_error(error, method="Health.Check") from None
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))

    async def _tier_names(self, version: str) -> list[str]:
        if self._info is None or self._info.version != version:
            await self.model_info()
        assert self._info is not None
        return [t.name for t in self._info.tiers]

    async def score_batches(
        self,
        rows: Iterable[requests.Row] | Any,
        *,
        id_column: str | None = None,
        chunk_rows: int = requests.DEFAULT_CHUNK_ROWS,
        model_version: str = "",
        effects: bool = False,
        timeout: float | None = None,
    ) -> AsyncIterator[results.BatchScores]:
        """Streams rows in chunks; yields each chunk's scores in order (see RiskClient)."""
        names = (await self.model_info()).feature_names
        batches = (
            requests.batch(ids, values, model_version=model_version, effects=effects)
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
            async for message in call:
                names_of_tiers = await self._tier_names(message.model_version)
                yield results.batch_scores(message, names_of_tiers)
        except grpc.RpcError as error:
            raise from_rpc_error(error, method="ScoreStream") from None
        finally:
            call.cancel()

    async def score_many(
        self,
        rows: Iterable[requests.Row] | Any,
        *,
        id_column: str | None = None,
        chunk_rows: int = requests.DEFAULT_CHUNK_ROWS,
        model_version: str = "",
        effects: bool = False,
        timeout: float | None = None,
    ) -> AsyncIterator[results.RowScore]:
        """Like `score_batches`, one `RowScore` per input row, in input order."""
        async for chunk in self.score_batches(
            rows,
            id_column=id_column,
            chunk_rows=chunk_rows,
            model_version=model_version,
            effects=effects,
            timeout=timeout,
        ):
            for row in chunk.rows():
                yield row
