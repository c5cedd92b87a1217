"""The app's pages: Dash imports each module itself (`use_pages`); never import them here."""
