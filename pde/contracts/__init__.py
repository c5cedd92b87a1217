"""What training writes and the server, jobs and app read: the model bundle manifest and the
canonical data schema (with its validated loading and the 30-day label rule)."""
