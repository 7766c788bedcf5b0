"""Returns: taking them in, what is outstanding, exporting the answers."""
