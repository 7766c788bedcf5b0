"""Papers: summaries and committee papers."""
