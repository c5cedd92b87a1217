"""Python client of the scoring service, for internal services, the app and batch jobs."""
