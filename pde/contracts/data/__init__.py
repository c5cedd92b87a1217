"""The canonical data contract: schema, validation, loading and writing, the label rule."""
