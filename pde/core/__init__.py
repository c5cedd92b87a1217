"""The base every layer stands on: errors, settings, logging and the names shared by all."""
