"""The risk officers' Dash app."""
