"""Data ingest and simulation, point-in-time features, model training and ONNX export."""
