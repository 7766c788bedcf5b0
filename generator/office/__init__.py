"""Word, Excel and zip plumbing: knows nothing of partnerships."""
