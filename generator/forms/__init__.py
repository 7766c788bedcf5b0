"""The forms: building and checking templates, issuing, reading and checking returns."""
