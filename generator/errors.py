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


# The ways a returned file can be unreadable (generator.office.safe_open says which).


class EmptyFile(UnreadableFile):
    """The file has no bytes at all."""


class LegacyWordFile(UnreadableFile):
    """The file is an old binary Word 97-2003 .doc, not a .docx."""


class PasswordProtectedFile(UnreadableFile):
    """The file is encrypted with a password."""


class NotAWordDocument(UnreadableFile):
    """The file is something else: a PDF, a web page, a workbook, a plain zip..."""


class DamagedFile(UnreadableFile):
    """The file is truncated or corrupt (bad zip, failed checksum, malformed XML)."""


class MacroEnabledFile(UnreadableFile):
    """The file carries macros (.docm), which the toolkit refuses."""


class OversizedFile(UnreadableFile):
    """The file, or what it would decompress to, is over a size limit (a possible zip bomb)."""


class TamperedFile(UnreadableFile):
    """The file contains something Word never writes (path tricks, duplicates, DTDs)."""


# The ways a saved email can be unreadable (generator.returns.emails says which).


class EmailTooLarge(UnreadableFile):
    """The saved email is over the size limit."""


class TooManyParts(UnreadableFile):
    """The saved email has more attachments or parts than the limits, or absurd nesting."""


class NestedTooDeep(UnreadableFile):
    """A message is forwarded inside more messages than the depth limit."""


class EncryptedEmail(UnreadableFile):
    """An S/MIME encrypted or opaque-signed message (application/pkcs7-mime)."""


class WinmailAttachment(UnreadableFile):
    """The attachments are hidden in winmail.dat (TNEF, Outlook's rich text format)."""


class LinkedAttachment(UnreadableFile):
    """A Word file attached as a link to a copy online, which is never fetched."""


class EmptyAttachment(UnreadableFile):
    """A Word attachment with no bytes."""


class DamagedEmail(UnreadableFile):
    """The email, or a message inside it, cannot be read: a damaged or mislabelled file."""


class NoWordAttachment(UnreadableFile):
    """Nothing in the email is a Word file."""


class StoreError(ToolkitError):
    """The returns store cannot be opened or written."""


class MailError(ToolkitError):
    """An email could not be prepared or sent."""


class MailboxError(ToolkitError):
    """The mailbox cannot be read: its settings, the credentials, the server or the folder."""


class ReportError(ToolkitError):
    """A committee paper cannot be compiled."""


class InvalidRequest(ToolkitError):
    """What was asked cannot be done as asked (a usage error: the command exits with 2)."""


class WorkspaceBusy(ToolkitError):
    """Another command is writing to the workspace and did not finish in time."""


class LibreOfficeMissing(ToolkitError):
    """LibreOffice is not installed (or not found on PATH)."""


# Figures that cannot be read (generator.money); not a ToolkitError, as callers turn them into
# a problem with a field or a cell.


class MoneyError(ValueError):
    """Text that is not an amount of money or a number."""


class TooLarge(MoneyError):
    """A number beyond any sane figure (or beyond what a float can hold)."""
