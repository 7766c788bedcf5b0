"""The wording of the emails: plain-text templates an officer can edit, rendered safely.

:func:`render_text` renders the subject and body from a template (the defaults live in
``generator/data/email/*.txt``; a workspace's own copies are in its ``texts`` folder).
"""

from __future__ import annotations

import re
import traceback
from collections.abc import Mapping
from importlib import resources

from jinja2 import StrictUndefined, Template, TemplateError, TemplateSyntaxError
from jinja2.sandbox import SandboxedEnvironment, SecurityError

from generator.errors import MailError
from generator.mail.message import _one_line
from generator.memo import Memo

# --------------------------------------------------------------------------- templates

TEMPLATE_NAMES = ("send", "chase", "query")
_SUBJECT_PREFIX = re.compile(r"^\s*subject\s*:", re.IGNORECASE)


def default_template_text(name: str) -> str:
    """The text of a bundled default template: ``"send"``, ``"chase"`` or ``"query"``."""
    if name not in TEMPLATE_NAMES:
        raise MailError(f"There is no default email template called '{name}'.")
    resource = resources.files("generator") / "data" / "email" / f"{name}.txt"
    return resource.read_text(encoding="utf-8")


def _environment() -> SandboxedEnvironment:
    return SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,  # a line holding only {% ... %} leaves no blank line behind
        lstrip_blocks=True,
    )


# Compiled templates by their text: a send writes one email after another from the same
# template, and compiling it took longer than rendering it. A template that does not compile
# is never kept, so its error is reported every time.
_COMPILED: Memo[str, Template] = Memo(keep=32)


def _compiled(source: str) -> Template:
    return _COMPILED.get(source, lambda: _environment().from_string(source))


def render_text(
    template_text: str, context: Mapping[str, object], *, source_name: str = "email template"
) -> tuple[str, str]:
    """Render an editable email template into ``(subject, body)``.

    The template's first line is ``Subject: ...``, the second line is blank and the rest is
    the body. Both are Jinja2 templates, rendered in a sandbox with autoescaping off (it is
    plain text) and StrictUndefined (a misspelt name is an error, not a blank). Lines holding
    only ``{% ... %}`` leave no blank line behind. The subject becomes one line; in the body,
    trailing spaces are removed, runs of blank lines become one, and it ends with a newline.
    Windows line endings and a UTF-8 byte-order mark (as Notepad writes) are accepted.

    Raises MailError naming ``source_name``, the line and what is wrong, in plain English.
    """
    text = template_text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if not _SUBJECT_PREFIX.match(lines[0]):
        raise MailError(
            f"{source_name}, line 1: the first line must start with 'Subject:' "
            f"(found '{_excerpt(lines[0])}')."
        )
    if len(lines) < 2 or lines[1].strip():
        raise MailError(
            f"{source_name}, line 2: the line after the subject must be blank; "
            "the body starts after it."
        )
    subject_source = _SUBJECT_PREFIX.sub("", lines[0], count=1)
    body_source = "\n".join(lines[2:])
    context = dict(context)
    subject = _one_line(_render(subject_source, context, source_name, lines, first_line=1))
    body = _render(body_source, context, source_name, lines, first_line=3)
    if not subject:
        raise MailError(f"{source_name}, line 1: the subject is empty once filled in.")
    body = "\n".join(line.rstrip() for line in body.split("\n"))
    body = re.sub(r"\n{3,}", "\n\n", body).strip("\n") + "\n"
    return subject, body


def _render(
    source: str,
    context: dict[str, object],
    source_name: str,
    lines: list[str],
    *,
    first_line: int,
) -> str:
    """Render one part of a template; ``first_line`` is its first line's number in the file."""

    def problem(lineno: int | None, what: str) -> MailError:
        line = None if lineno is None else lineno + first_line - 1
        return MailError(_template_problem(source_name, lines, line, what))

    try:
        return _compiled(source).render(context)
    except TemplateSyntaxError as exc:
        raise problem(exc.lineno, _syntax_text(exc)) from None
    except SecurityError as exc:
        raise problem(
            _template_line(exc), f"this is not allowed in a template ({_one_line(str(exc))})"
        ) from None
    except TemplateError as exc:  # UndefinedError and other rendering errors
        raise problem(_template_line(exc), _undefined_text(str(exc), context)) from None
    except Exception as exc:  # any other error in an officer's template is theirs to fix
        what = _one_line(str(exc)) or type(exc).__name__
        raise problem(_template_line(exc), f"{what} (check the expression on this line)") from None


def _template_line(exc: BaseException) -> int | None:
    """The template line a rendering error happened on, from Jinja's rewritten traceback."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename == "<template>":
            line = frame.lineno
    return line


def _syntax_text(exc: TemplateSyntaxError) -> str:
    message = _one_line(exc.message or str(exc))
    message = message.replace("Jinja was looking for", "expected")
    message = message.replace("Encountered unknown tag", "unknown tag")
    return message + " (check the {{ }} and {% %} markers)"


def _undefined_text(message: str, context: Mapping[str, object]) -> str:
    known = ", ".join(sorted(context)) or "none"
    m = re.fullmatch(r"'([^']+)' is undefined", message)
    if m:
        return f"'{m.group(1)}' is not a name this email knows (names available: {known})"
    m = re.fullmatch(r"'[^']*' has no attribute '([^']+)'", message)
    if m:
        return f"'{m.group(1)}' is not one of the fields available here (check the spelling)"
    m = re.fullmatch(r"'?[\w ]+'? has no element (.+)", message)
    if m:
        return f"there is no item {m.group(1)} in that list"
    return _one_line(message)


def _template_problem(source_name: str, lines: list[str], lineno: int | None, what: str) -> str:
    if lineno is None or not 1 <= lineno <= len(lines):
        return f"{source_name}: {what}."
    return f"{source_name}, line {lineno} ('{_excerpt(lines[lineno - 1])}'): {what}."


def _excerpt(line: str, limit: int = 60) -> str:
    line = line.strip()
    return line if len(line) <= limit else line[: limit - 3] + "..."
