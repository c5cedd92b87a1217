"""The operational database: tables, sessions, workflow services, audit log and score writer.

Import the submodules you need (`pde.db.engine`, `pde.db.workflow`, ...); nothing here connects
to a database at import time.
"""
