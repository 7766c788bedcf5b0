"""Partnership Toolkit: run a council's Partnership Strategy and Framework end to end."""

__version__ = "0.1.0"
