"""Calls a scoring server with the official Open Inference Protocol client (tritonclient).

Run as a script (`python triton_call.py PORT ROWS.npy OUT.npz`): tritonclient registers its own
binding of the protocol's `inference` package, which cannot share a process with the server's.
"""

from __future__ import annotations

import sys

import numpy as np
import tritonclient.grpc as triton
from tritonclient.utils import InferenceServerException

MODEL = "pde-risk"


def main(port: str, rows_path: str, out_path: str) -> None:
    rows = np.load(rows_path)
    client = triton.InferenceServerClient(url=f"127.0.0.1:{port}")
    meta = client.get_model_metadata(MODEL)
    tensor = triton.InferInput("features", list(rows.shape), "FP32")
    tensor.set_data_from_numpy(rows)
    outputs = [triton.InferRequestedOutput(n) for n in ("probability", "tier", "alert")]
    result = client.infer(MODEL, [tensor], outputs=outputs)
    try:
        client.infer("no-such-model", [tensor])
        unknown = "OK"
    except InferenceServerException as exc:
        unknown = str(exc.status())
    np.savez(
        out_path,
        live=client.is_server_live(),
        ready=client.is_server_ready(),
        model_ready=client.is_model_ready(MODEL),
        server=client.get_server_metadata().name,
        versions=np.array(list(meta.versions)),
        input_shape=np.array(list(meta.inputs[0].shape)),
        probability=result.as_numpy("probability"),
        tier=result.as_numpy("tier"),
        alert=result.as_numpy("alert"),
        version=result.get_response().model_version,
        unknown=unknown,
    )


if __name__ == "__main__":
    main(*sys.argv[1:4])
