"""The gRPC scoring server: ONNX ensemble, calibration, tiers and explanations."""
