"""Batch jobs over the whole portfolio: scoring through the server, loading customers."""
