"""The gRPC scoring server.

The core (`bundle`, `ensemble`, `scorer`, `explain`, `activity`, `metrics`) has no gRPC
imports; `pde.server.transport` holds the servicers, codecs, status mapping, auth and the app.
"""
