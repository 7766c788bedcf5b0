"""Every error the toolkit raises on purpose derives from ToolkitError.

The CLI turns these into a one-line message and exit code 1; anything else is a bug.
"""

from __future__ import annotations


class ToolkitError(Exception):
    """Base class: a problem a user can act on, described in the message."""


class FrameworkError(ToolkitError):
    """The framework data or a form definition is missing, malformed or inconsistent."""


class RegisterError(ToolkitError):
    """The partnership register cannot be used; `problems` lists every cell at fault."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []


class WorkspaceError(ToolkitError):
    """No workspace was found, or it cannot be created or read."""


class TemplateError(ToolkitError):
    """A Word template is missing, unreadable, or does not match its form definition."""


class UnreadableFile(ToolkitError):
    """A returned file cannot be read as a form; the message says why in one line."""


class StoreError(ToolkitError):
    """The returns store cannot be opened or written."""


class MailError(ToolkitError):
    """An email could not be prepared or sent."""


class ReportError(ToolkitError):
    """A committee paper cannot be compiled."""


class InvalidRequest(ToolkitError):
    """What was asked cannot be done as asked (a usage error: the command exits with 2)."""
