"""The `pde` command line: one entry point for people and scripts."""
