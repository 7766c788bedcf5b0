"""Fill in a Word form's content controls in a running LibreOffice, as a person does, and save it.

This script is run by a Python that has LibreOffice's UNO bridge (on Debian, /usr/bin/python3
with the python3-uno package), never by the project's virtual environment, so it imports
nothing from the project. tests/editors/libreoffice.py starts one LibreOffice for the test
session, and this script once beside it, serving one edit a line:

    python3 libreoffice_edit.py --connection "pipe,name=NAME" --serve
        reads {"source": SOURCE, "target": TARGET, "edits": EDITS} a line on stdin, and
        answers each with one line on stdout: {"report": REPORT} or {"error": MESSAGE}

(Started for each edit instead, its start-up and connection took some 45 ms of processor time
an edit.) One edit can also be made from the command line:

    python3 libreoffice_edit.py --connection "pipe,name=NAME" SOURCE TARGET EDITS_JSON

EDITS_JSON is a list of edits applied in order, each naming a control by its tag (and which of
several controls with that tag, "index", 0 by default):

    {"do": "type", "tag": "completed_on", "text": "4/11/2026"}   select what the box shows, type
    {"do": "delete", "tag": "completed_on"}                       select what it shows, Backspace
    {"do": "tick", "tag": "head_of_service_agreed"}              press Space in a checkbox
    {"do": "pick_date", "tag": "completed_on", "date": "2026-11-04"}
    {"do": "choose", "tag": "systems_aligned", "item": "Partly"}

The document is saved as "MS Word 2007 XML" to TARGET (exported as a PDF when TARGET ends in
.pdf) and a JSON report of every control the edits named (its tag, what it shows, whether
LibreOffice flags it as showing its placeholder, its date, its checkbox state) is printed on
stdout. Only those: each property read is a call across the UNO bridge, and reporting all of a
form's ~140 boxes took half a second an edit.

How each edit reaches LibreOffice
---------------------------------
"type", "delete" and "tick" are real keystrokes sent to Writer's editing window through
LibreOffice's UI-test service (org.libreoffice.uitest.UITest): they go through the same code
as a person's keyboard (SwEditWin::KeyInput, SwWrtShell::Insert), which is where LibreOffice
clears the "showing placeholder" flag on typing and toggles a checkbox on Space. The caret is
put just before the control with the view cursor, moved in with the Right arrow key and the
box's text selected with Shift+Right, as a person would with the keyboard.

"pick_date" and "choose" are not keystrokes. A person picks a date or a list item from a
popup (Alt+Down); in headless LibreOffice 25.2 the date popup opens (as a floating window with
a "date" calendar) but key presses sent to it through the UI-test service never reach the
calendar, and the list popup of a dropdown does not open at all. So these two do what the
popup's handler does (SwWrtShell::GotoContentControl): for a date, store the date in the
control (the CurrentDate property, which LibreOffice saves as w:fullDate) and replace the
shown text with the control's own formatting of it (DateString), typed as keystrokes; for a
dropdown, whose text LibreOffice does not let a person type into, replace the shown text with
the item's display text through the control's text API and clear the placeholder flag.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import Any

import uno  # type: ignore[import-not-found]
from com.sun.star.beans import PropertyValue  # type: ignore[import-not-found]

CONNECT_SECONDS = 60


def _properties(**values: Any) -> tuple[Any, ...]:
    result = []
    for name, value in values.items():
        prop = PropertyValue()
        prop.Name, prop.Value = name, value
        result.append(prop)
    return tuple(result)


def connect(connection: str) -> Any:
    """The component context of the LibreOffice listening on `connection`."""
    local = uno.getComponentContext()
    resolver = local.ServiceManager.createInstanceWithContext(
        "com.sun.star.bridge.UnoUrlResolver", local)
    deadline = time.monotonic() + CONNECT_SECONDS
    while True:
        try:
            return resolver.resolve(f"uno:{connection};urp;StarOffice.ComponentContext")
        except Exception:  # NoConnectException while LibreOffice is still starting
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)


class Form:
    """One document open in LibreOffice: in its editing window when there are edits to make;
    hidden, as `soffice --convert-to` opens one, when it is only saved again (a tenth of a
    second less)."""

    def __init__(self, context: Any, path: str, *, editing: bool) -> None:
        manager = context.ServiceManager
        self.desktop = manager.createInstanceWithContext("com.sun.star.frame.Desktop", context)
        self.ui_test = manager.createInstanceWithContext("org.libreoffice.uitest.UITest", context)
        self.document = self.desktop.loadComponentFromURL(
            uno.systemPathToFileUrl(os.path.abspath(path)), "_blank", 0,
            _properties(Hidden=not editing))
        if self.document is None:
            raise SystemExit(f"LibreOffice could not open {path}")
        self.tagged: list[tuple[str, Any]] = []
        if not editing:
            return
        self.window = self.ui_test.getTopFocusWindow().getChild("writer_edit")
        self.window.executeAction("FOCUS", ())
        # Every control with its tag, read once: typing into a box changes neither. (Looking
        # them up again for each edit crossed the UNO bridge twice a box each time.)
        controls = self.document.getContentControls()
        found = [controls.getByIndex(i) for i in range(controls.getCount())]
        self.tagged = [(c.Tag, c) for c in found]

    def control(self, tag: str, index: int = 0) -> Any:
        found = [c for t, c in self.tagged if t == tag]
        if len(found) <= index:
            raise SystemExit(f"no control tagged {tag!r} number {index} "
                             f"({len(found)} found)")
        return found[index]

    def _key(self, keycode: str) -> None:
        self.window.executeAction("TYPE", _properties(KEYCODE=keycode))

    def _type(self, text: str) -> None:
        for number, line in enumerate(text.split("\n")):
            if number:
                self._key("SHIFT+RETURN")
            if line:
                self.window.executeAction("TYPE", _properties(TEXT=line))

    def _enter(self, control: Any) -> None:
        """Put the caret inside the control, at its start."""
        caret = self.document.getCurrentController().getViewCursor()
        caret.gotoRange(control.getAnchor().getStart(), False)
        self._key("RIGHT")

    def _select_shown(self, control: Any) -> None:
        self._enter(control)
        shown = control.getString()
        for _ in shown:
            self._key("SHIFT+RIGHT")
        selected = {p.Name: p.Value for p in self.window.getState()}["SelectedText"]
        if selected != shown:
            raise SystemExit(f"selected {selected!r} in {control.Tag!r}, expected {shown!r}")

    def type(self, control: Any, text: str) -> None:
        self._select_shown(control)
        self._type(text)

    def delete(self, control: Any) -> None:
        self._select_shown(control)
        if control.getString():
            self._key("BACKSPACE")

    def tick(self, control: Any) -> None:
        if not control.Checkbox:
            raise SystemExit(f"{control.Tag!r} is not a checkbox")
        self._enter(control)
        self._type(" ")

    def pick_date(self, control: Any, iso_date: str) -> None:
        if not control.Date:
            raise SystemExit(f"{control.Tag!r} is not a date control")
        # What the date popup's handler does: store the date, then replace the shown text
        # with the control's formatting of it.
        control.CurrentDate = f"{iso_date}T00:00:00Z"
        self.type(control, control.DateString)

    def choose(self, control: Any, item: str) -> None:
        items = [{p.Name: p.Value for p in entry}["DisplayText"] for entry in control.ListItems]
        if item not in items:
            raise SystemExit(f"{item!r} is not an item of {control.Tag!r} ({items})")
        # What the list popup's handler does: replace the text, which is not editable by
        # typing, with the item's display text; LibreOffice then no longer shows the
        # placeholder.
        cursor = control.createTextCursor()
        cursor.gotoEnd(True)
        cursor.setString(item)
        control.ShowingPlaceHolder = False

    def report(self, tags: set[str]) -> list[dict[str, Any]]:
        """What each control tagged with one of `tags` shows now, in document order."""
        return [{"tag": t, "shown": c.getString(),
                 "showing_placeholder": bool(c.ShowingPlaceHolder),
                 "date": c.CurrentDate if c.Date else None,
                 "checked": bool(c.Checked) if c.Checkbox else None}
                for t, c in self.tagged if t in tags]

    def save(self, path: str) -> None:
        """Save as Word (.docx), or export a PDF when `path` ends in .pdf."""
        writer = "writer_pdf_Export" if path.lower().endswith(".pdf") else "MS Word 2007 XML"
        self.document.storeToURL(uno.systemPathToFileUrl(os.path.abspath(path)),
                                 _properties(FilterName=writer, Overwrite=True))

    def close(self) -> None:
        self.document.close(True)


def apply(form: Form, edit: dict[str, Any]) -> None:
    control = form.control(edit["tag"], edit.get("index", 0))
    action = edit["do"]
    if action == "type":
        form.type(control, edit["text"])
    elif action == "delete":
        form.delete(control)
    elif action == "tick":
        form.tick(control)
    elif action == "pick_date":
        form.pick_date(control, edit["date"])
    elif action == "choose":
        form.choose(control, edit["item"])
    else:
        raise SystemExit(f"unknown edit {action!r}")


def edit_and_save(context: Any, source: str, target: str,
                  edits: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Open `source`, make `edits`, save it as `target`; the report of the controls edited."""
    form = Form(context, source, editing=bool(edits))
    try:
        for edit in edits:
            apply(form, edit)
        form.save(target)
        return form.report({edit["tag"] for edit in edits})
    finally:
        form.close()


def serve(context: Any) -> int:
    """Make the edits asked for on stdin, a JSON line each, answering each on stdout."""
    for line in sys.stdin:
        request = json.loads(line)
        try:
            answer: dict[str, Any] = {"report": edit_and_save(
                context, request["source"], request["target"], request["edits"])}
        except SystemExit as exc:  # what this script says of an edit it cannot make
            answer = {"error": str(exc.code)}
        except Exception as exc:  # noqa: BLE001 - any failure of LibreOffice, in one line
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        print(json.dumps(answer), flush=True)
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--connection", required=True, help='for example "pipe,name=forms"')
    parser.add_argument("--ping", action="store_true", help="only check LibreOffice answers")
    parser.add_argument("--serve", action="store_true",
                        help="make the edits asked for on stdin, one JSON line each")
    parser.add_argument("source", nargs="?")
    parser.add_argument("target", nargs="?")
    parser.add_argument("edits", nargs="?", default="[]")
    args = parser.parse_args(argv)
    context = connect(args.connection)
    if args.ping:
        return 0
    if args.serve:
        return serve(context)
    if not (args.source and args.target):
        parser.error("SOURCE and TARGET are needed")
    print(json.dumps(edit_and_save(context, args.source, args.target, json.loads(args.edits))))
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    # Leave without the interpreter's teardown, where python3-uno's bridge is torn down: this
    # script died of a segmentation fault (exit code -11) in two of five runs of the whole
    # suite with two test workers. What it had to say is printed and flushed by then.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
