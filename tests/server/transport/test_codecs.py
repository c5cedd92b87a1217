"""Packed values read from the message's own bytes equal the values the message holds,
whatever encoding the client used (packed, unpacked, with fields this version ignores)."""

from __future__ import annotations

import struct
import warnings

import numpy as np
import pytest

from pde.risk.v1 import risk_pb2
from pde.server.inputs import row_from_packed
from pde.server.transport.codecs import packed_values


def _same(packed: risk_pb2.PackedFeatures) -> None:
    read = packed_values(packed)
    assert read.dtype == np.float64
    np.testing.assert_array_equal(read, np.array(list(packed.values), dtype=np.float64))


@pytest.mark.parametrize("count", [0, 1, 15, 16, 124, 2100])  # 1-, 2- and 3-byte lengths
def test_codecs_packed_values_equal_the_message_values(count: int) -> None:
    values = np.random.default_rng(count).normal(size=count) * 1e6
    values[::7] = np.nan
    request = risk_pb2.ScoreRequest(packed=risk_pb2.PackedFeatures(values=values.tolist()))
    parsed = risk_pb2.ScoreRequest.FromString(request.SerializeToString())
    _same(parsed.packed)


def test_codecs_packed_values_of_an_unpacked_encoding_and_unknown_fields() -> None:
    values = [1.5, -2.25, float("nan"), 3e38]
    # field 1 as one fixed64 per value (the unpacked encoding parsers must accept), then an
    # unknown field 9 (varint) that an older client or a newer schema may send
    unpacked = b"".join(b"\x09" + struct.pack("<d", v) for v in values) + b"\x48\x07"
    packed = risk_pb2.PackedFeatures.FromString(unpacked)
    _same(packed)
    unknown_first = b"\x48\x07" + risk_pb2.PackedFeatures(values=values).SerializeToString()
    _same(risk_pb2.PackedFeatures.FromString(unknown_first))


def test_codecs_a_signalling_nan_is_missing_without_a_warning() -> None:
    signalling = struct.unpack("<d", bytes.fromhex("010000000000f07f"))[0]
    data = risk_pb2.PackedFeatures(values=[0.5, signalling]).SerializeToString()
    values = packed_values(risk_pb2.PackedFeatures.FromString(data))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        row = row_from_packed(values, ["a", "b"])
    assert row.dtype == np.float32
    assert row[0, 0] == 0.5
    assert np.isnan(row[0, 1])
