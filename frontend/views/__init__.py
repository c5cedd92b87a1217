"""Page parts too large to keep in the page modules (pages import these, never the reverse)."""
