"""The gRPC layer over the scoring core: servicers, codecs, status mapping, auth and the app."""
