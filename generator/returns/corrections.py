"""Returned forms sent back for correction with a comment on each problem (`annotate`).

A return is named as an officer has it in hand: its number as `history` shows it (`12`, or
`#12` where the shell lets a `#` through), or the issue reference printed on the form
(`P007-explore-202627-3f9a2c`), which means that form's latest return. The copy is made
from the returned file as the store keeps it, with the problems found when it was taken in
(`generator.forms.annotate`), commented by the team named in the settings
(`[council] comments_author`, "Partnerships Team" unless set).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from generator.errors import FrameworkError, InvalidRequest, ToolkitError, UnreadableFile
from generator.fileio import safe_filename, write_new
from generator.formdefs import FormDefinition, load_definition
from generator.forms.annotate import AnnotatedForm, annotate_form
from generator.forms.validate import SENDER, Problem
from generator.office.comments import Author
from generator.store import Return, Store
from generator.workspace import Workspace

__all__ = ["DEFAULT_AUTHOR", "AnnotatedCopy", "annotated_copy", "annotated_name",
           "comments_author", "find_return", "returned_name", "write_annotated"]

DEFAULT_AUTHOR = "Partnerships Team"
_NUMBER = re.compile(r"#?\s*(\d+)")


@dataclass(frozen=True)
class AnnotatedCopy:
    """An annotated copy written for an officer: where, of which return, with how many
    comments."""

    path: Path
    ret: Return
    comments: int


def comments_author(ws: Workspace) -> Author:
    """Who the comments are from ([council] comments_author)."""
    name = " ".join(str(ws.setting("council", "comments_author", "") or "").split())
    return Author.named(name or DEFAULT_AUTHOR)


def find_return(store: Store, reference: str) -> Return:
    """The return an officer means by `reference`: its number (`#12` or `12`, as `history`
    shows it) or the issue reference printed on the form (its latest return)."""
    text = reference.strip()
    number = _NUMBER.fullmatch(text)
    if number:
        found = store.return_by_id(int(number.group(1)))
        if found is None:
            raise ToolkitError(f"no return is numbered #{number.group(1)}; 'partnerships "
                               "history PARTNERSHIP_ID' lists a partnership's returns with "
                               "their numbers")
        return found
    returns = store.returns_for_issue(text)
    if not returns:
        known = store.issued(text) is not None
        raise ToolkitError(
            f"the form '{text}' has not been returned yet" if known else
            f"'{text}' is neither a return number (such as 12, shown as #12 by 'partnerships "
            "history') "
            "nor the reference of an issued form (such as P007-explore-202627-3f9a2c, printed "
            "on the form)")
    return returns[-1]


def _definition(ws: Workspace, ret: Return) -> FormDefinition | None:
    if not ret.form_type:
        return None
    try:
        return load_definition(ret.form_type, ret.version, framework=ws.framework(),
                               forms_dir=ws.forms_dir)
    except FrameworkError:
        return None  # an archived version gone: comments still go on the boxes by their tags


def _problems(ret: Return) -> list[Problem]:
    """The return's problems the Business Manager can put right in the form."""
    problems = [Problem.from_json(p) for p in ret.problems]
    return [p for p in problems if p.field or p.label != SENDER]


def annotated_copy(ws: Workspace, store: Store, ret: Return) -> AnnotatedForm:
    """A copy of a returned file with a comment on each problem found in it.

    Raises ToolkitError when the return has no problem to comment on, or its file cannot be
    opened to add comments.
    """
    problems = _problems(ret)
    if not problems:
        raise ToolkitError(f"return #{ret.id} ({ret.partnership_id} {ret.form_type}) was "
                           f"{ret.outcome} with no problem to put right in the form; there is "
                           "nothing to comment on")
    data = store.original(ret.id)
    try:
        return annotate_form(data, problems, _definition(ws, ret), comments_author(ws))
    except UnreadableFile as exc:
        reason = str(exc)
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds on odd files
        reason = f"{type(exc).__name__}: {exc}"
    raise ToolkitError(f"return #{ret.id} cannot be given comments ({reason}); list the "
                       "problems in an email instead ('partnerships read' shows them)")


def returned_name(ret: Return) -> str:
    """The file name a return came in as (the attachment's, for an email)."""
    last = ret.file_name.split(" > ")[-1].replace("\\", "/")
    return Path(last).name or "returned form.docx"


def annotated_name(ret: Return) -> str:
    """The name of a return's annotated copy: the returned file's, marked as commented."""
    stem = Path(safe_filename(returned_name(ret), default="returned form.docx")).stem
    return safe_filename(f"{stem} (with comments).docx", default="returned form.docx")


def write_annotated(ws: Workspace, reference: str, output: Path | None = None
                    ) -> AnnotatedCopy:
    """Write the annotated copy of the return `reference` names (see `find_return`).

    Written to `output`, or into the workspace's outbox under the returned file's name marked
    "(with comments)"; an existing file is never overwritten (a number is added instead).
    """
    if output is not None and output.is_dir():
        raise InvalidRequest(f"{output} is a folder; give the name of the file to write")
    with Store(ws.path("store")) as store:
        ret = find_return(store, reference)
        annotated = annotated_copy(ws, store, ret)
    target = output or ws.path("outbox") / annotated_name(ret)
    path = write_new(target, annotated.data)
    return AnnotatedCopy(path, ret, annotated.comments)
