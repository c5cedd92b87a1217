"""Benchmarks run by `pde bench`; each prints medians and peak memory."""
