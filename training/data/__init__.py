"""Canonical behavioural data: schema, validated loading, simulator, real-data importers."""
