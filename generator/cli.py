"""The `partnerships` command: a thin layer over the library.

Each command parses its arguments, calls one library function and prints the result.
Library errors (ToolkitError) become `Error: ...` on stderr with exit code 1; click's usage
errors exit with 2. Nothing else reaches the officer as a traceback either: the command
group turns a store, disk or unexpected error into one line (`_Commands.invoke`), and every
line printed passes through `printable`, so text from outside cannot drive the terminal.
"""

from __future__ import annotations

import datetime as dt
import sys
import textwrap
from collections.abc import Callable, Iterable, Iterator
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from generator import __version__
from generator.errors import InvalidRequest, RegisterError, ToolkitError
from generator.terminal import json_dumps, printable
from generator.wording import plural

if TYPE_CHECKING:
    from generator.workspace import Workspace

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def _echo(text: object = "", *, err: bool = False) -> None:
    """Print one line, with anything a terminal would act upon shown escaped."""
    click.echo(printable(text), err=err)


def _fail_on_toolkit_errors(func: F) -> F:
    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except RegisterError as exc:
            for problem in exc.problems:
                _echo(f"  {problem}", err=True)
            raise click.ClickException(printable(exc)) from None
        except InvalidRequest as exc:
            raise click.UsageError(printable(exc)) from None
        except ToolkitError as exc:
            raise click.ClickException(printable(exc)) from None

    return wrapper  # type: ignore[return-value]


class _Commands(click.Group):
    """The command group; also the one place an unexpected failure becomes one plain line."""

    def invoke(self, ctx: click.Context) -> Any:
        from generator.failures import explain_failure

        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit,
                click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            _echo("Stopped (Ctrl+C). Everything finished before that is kept; run the "
                  "command again to do the rest.", err=True)
            ctx.exit(130)
        except Exception as exc:  # noqa: BLE001 - the officer sees one line, never a traceback
            folder = ctx.obj.get("workspace") if ctx.obj else None
            raise click.ClickException(printable(explain_failure(exc, folder))) from None


def _workspace(ctx: click.Context) -> Workspace:
    # Imported here so that `--help` and usage errors start without the framework's modules.
    from generator.workspace import find_workspace, open_workspace

    folder = ctx.obj.get("workspace") if ctx.obj else None
    ws = open_workspace(folder) if folder else find_workspace()
    warning = ws.sync_warning()
    if warning:
        _echo(f"warning: {warning}", err=True)
    # Notes the workspace gathers while the command runs are printed when it ends.
    def print_notices() -> None:
        for notice in ws.notices:
            _note(notice)

    ctx.call_on_close(print_notices)
    return ws


def _note(text: str) -> None:
    _echo(f"note: {text}", err=True)


def _progress(label: str, quiet: bool) -> Callable[[Iterable[T]], Iterator[T]]:
    def run(items: Iterable[T]) -> Iterator[T]:
        items = list(items)
        if quiet or len(items) < 2 or not sys.stderr.isatty():
            yield from items
            return
        with click.progressbar(items, label=label, file=sys.stderr) as bar:
            yield from bar

    return run


def _definitions(ctx: click.Context) -> tuple[Path | None, Any]:
    """Where the form definitions are: the workspace's, or the bundled ones outside one."""
    try:
        ws = _workspace(ctx)
    except ToolkitError:
        return None, None
    return ws.forms_dir, ws.framework()


def _form_type(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """Check FORM_TYPE against the forms of the workspace: its definition files."""
    from generator.formdefs import form_types, unknown_form_type

    if value is None or value == ():
        return value
    forms_dir, framework = _definitions(ctx)
    known = form_types(forms_dir, framework)
    for one in value if isinstance(value, tuple) else (value,):
        if one not in known:
            raise click.BadParameter(printable(unknown_form_type(one, forms_dir, framework)))
    return value


def _cycle(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str | None:
    """Check a --cycle is a council year written as the toolkit writes them: 2026/27."""
    from generator.council_year import is_cycle, normal_cycle

    if value is None or is_cycle(value):
        return value
    close = normal_cycle(value)
    example = close if is_cycle(close) else "2026/27"
    raise click.BadParameter(f"'{value}' is not a council year as the toolkit writes them; "
                             f"give it as {example}")


def _date(_ctx: click.Context, _param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(value, pattern).date()
        except ValueError:
            continue
    raise click.BadParameter(f"'{value}' is not a date; use YYYY-MM-DD or DD/MM/YYYY")


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="partnerships")
@click.option("--workspace", "-w", type=click.Path(path_type=Path, file_okay=False),
              help="The workspace folder (default: the current folder or one above it).")
@click.pass_context
def main(ctx: click.Context, workspace: Path | None) -> None:
    """Run the Partnership Strategy and Framework: forms, returns and committee papers."""
    ctx.ensure_object(dict)
    ctx.obj["workspace"] = workspace


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--council", help="The council's name (default: the one in the framework data).")
@_fail_on_toolkit_errors
def init(folder: Path, council: str | None) -> None:
    """Create a workspace in FOLDER with the example register."""
    from generator.workspace import init_workspace

    ws = init_workspace(folder, council=council)
    _echo(f"Created a workspace in {ws.root}")
    _echo(f"  register:  {ws.path('register')} (the example register: replace its rows "
               "with your partnerships)")
    _echo(f"  settings:  {ws.config_path}")
    _echo(f"  templates: {ws.path('templates')} (restyle them in Word if you wish)")


@main.command()
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False),
                default=Path("output") / "demo")
@_fail_on_toolkit_errors
def demo(folder: Path) -> None:
    """Run the whole cycle on the example register in a new FOLDER (default output/demo).

    Creates a workspace, issues every form of the framework, fills each in as its Business
    Manager would, collects the returns and compiles the Explore summary, the return tracker,
    the Corporate Governance Board update and the Scrutiny Committee annual report.
    """
    from generator.demo import run_demo

    result = run_demo(folder, say=_echo)
    for problem in result.problems:
        _echo(f"  problem: {problem}", err=True)
    _echo("")
    _echo(f"Issued forms: {len(result.issued)} in {result.workspace / 'forms' / 'issued'}")
    _echo(f"Returns:      {len(result.returns)} in {result.workspace / 'returns'}")
    _echo("Open these to see the result:")
    for label, path in result.outputs.items():
        _echo(f"  {label}: {path}")
    if result.problems:
        sys.exit(1)


@main.command("forms")
@click.argument("form_type", callback=_form_type)
@click.option("--id", "partnership_id", help="Only this partnership (its register ID).")
@click.option("--due", callback=_date, help="Return date printed on the form (YYYY-MM-DD).")
@click.option("--reissue", is_flag=True,
              help="Issue a new copy to partnerships that already have this form.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_context
@_fail_on_toolkit_errors
def forms_command(ctx: click.Context, form_type: str, partnership_id: str | None,
                  due: dt.date | None, reissue: bool, quiet: bool) -> None:
    """Generate FORM_TYPE forms for every partnership in its phase (or --id)."""
    from generator.forms.issue import issue_forms

    ws = _workspace(ctx)
    result = issue_forms(ws, form_type, partnership_id=partnership_id, due=due,
                         reissue=reissue,
                         progress=_progress(f"Generating {form_type} forms", quiet))
    for notice in result.notices:
        _echo(f"note: {notice}", err=True)
    for form in result.written:
        _echo(str(form.path))
    _echo(f"{plural(len(result.written), form_type + ' form')} written.", err=True)


@main.command("read")
@click.argument("files", nargs=-1, required=True,
                type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array (see README).")
@click.pass_context
@_fail_on_toolkit_errors
def read_command(ctx: click.Context, files: tuple[Path, ...], as_json: bool) -> None:
    """Read the answers of returned forms and check them against their definitions."""
    from generator.forms.read import read_form

    forms_dir = framework = variance = None
    try:
        ws = _workspace(ctx)
        forms_dir, framework, variance = ws.forms_dir, ws.framework(), ws.variance_limit
    except ToolkitError:
        pass  # Reading works outside a workspace, with the bundled definitions.
    # Each form is shown as soon as it is read and then let go: a list of thousands of
    # readings held every answer of every form until the last was read.
    readings = (read_form(path, framework=framework, forms_dir=forms_dir, variance=variance)
                for path in files)
    failed = False
    if as_json:
        click.echo("[", nl=False)
    for n, reading in enumerate(readings):
        failed = failed or not reading.ok
        if as_json:  # the array json_dumps writes, one element at a time
            element = textwrap.indent(json_dumps(reading.to_json()), "  ")
            click.echo(("," if n else "") + "\n" + element, nl=False)
        else:
            _echo_reading(reading)
    if as_json:
        click.echo("\n]")
    if failed:
        sys.exit(1)


def _echo_reading(reading: Any) -> None:
    """One form's answers and problems, as `read` prints them."""
    from generator.forms.display import display_value

    _echo(f"{reading.file}")
    if reading.form is None:
        _echo("  not a form this toolkit issued, or its identity is gone:")
    else:
        _echo(f"  form {reading.form} v{reading.version}, partnership "
              f"{reading.partnership}, issue {reading.issue}")
    definition = reading.definition
    if definition is not None:
        for f in definition.fields.values():
            value = reading.answers.get(f.id)
            if f.type == "table":
                _echo(f"  {f.label}: {plural(len(value or []), 'row')}")
                for row in value or []:
                    cells = "; ".join(f"{c.label}: {display_value(c, row.get(c.id))}"
                                      for c in f.columns if row.get(c.id) is not None)
                    _echo(f"    - {cells}")
            else:
                shown = display_value(f, value) or "(empty)"
                first, *rest = shown.split("\n")
                _echo(f"  {f.label}: {first}")
                for line in rest:
                    _echo(f"      {line}")
    for problem in reading.problems:
        kind = "problem" if problem.severity == "error" else "warning"
        _echo(f"  {kind}: {problem.label}: {problem.message}")
    _echo("")


@main.group()
def templates() -> None:
    """Build the Word templates, or check one a council has restyled."""


@templates.command("build")
@click.option("--into", type=click.Path(path_type=Path, file_okay=False),
              help="Folder to write into (default: the workspace's templates folder).")
@click.option("--form", "form_types", multiple=True, callback=_form_type,
              help="Only this form type (repeatable).")
@click.option("--replace", is_flag=True,
              help="Replace existing templates (their restyling is lost).")
@click.pass_context
@_fail_on_toolkit_errors
def templates_build(ctx: click.Context, into: Path | None, form_types: tuple[str, ...],
                    replace: bool) -> None:
    """Write the Word template of each form from its form definition."""
    from generator.forms.template_build import build_templates

    try:
        ws: Workspace | None = _workspace(ctx)
    except ToolkitError:
        ws = None  # with --into, templates can be built from the bundled definitions
    for path in build_templates(ws, form_types, into=into, replace=replace):
        _echo(str(path))


@templates.command("check")
@click.argument("template", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option("--form", "form_type", callback=_form_type,
              help="The form the template is for (default: from its file name).")
@click.pass_context
@_fail_on_toolkit_errors
def templates_check(ctx: click.Context, template: Path, form_type: str | None) -> None:
    """Compare TEMPLATE with its form definition; exit 1 if anything differs."""
    from generator.forms.template_check import check_template_file

    forms_dir, framework = _definitions(ctx)
    definition, findings = check_template_file(template, form_type, forms_dir=forms_dir,
                                               framework=framework)
    for finding in findings:
        _echo(f"{template.name}: {finding}")
    if findings:
        _echo(f"{plural(len(findings), 'problem')} found.", err=True)
        sys.exit(1)
    _echo(f"{template.name}: matches the {definition.type} form definition "
          f"(version {definition.version}).")


@main.group()
def register() -> None:
    """Check the partnership register."""


@register.command("check")
@click.pass_context
@_fail_on_toolkit_errors
def register_check(ctx: click.Context) -> None:
    """Validate every row of the register and list the partnerships by phase."""
    from generator.register import read_register

    ws = _workspace(ctx)
    reg = read_register(ws.path("register"), ws.framework())
    for notice in reg.notices:
        _echo(f"note: {notice}")
    for p in reg.partnerships:
        scope = "in scope" if p.in_scope else "OUT OF SCOPE"
        _echo(f"{p.id}\t{p.phase}\t{scope}\t{p.name}")
    _echo(f"{len(reg.in_scope)} in scope, {len(reg.out_of_scope)} out of scope.")


def _echo_json(data: Any) -> None:
    click.echo(json_dumps(data))


@main.command("collect")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True))
@click.option("--mailbox", is_flag=True,
              help="Read the [mailbox] folder over IMAP instead of files (see README).")
@click.option("--as", "as_issue", metavar="ISSUE_ID",
              help="Take in ONE file whose identity was stripped, as this issued form.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array, one object per file.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.pass_context
@_fail_on_toolkit_errors
def collect_command(ctx: click.Context, paths: tuple[Path, ...], mailbox: bool,
                    as_issue: str | None, as_json: bool, quiet: bool) -> None:
    """Take in returned forms: .docx files, folders (searched recursively) and saved emails,
    or with --mailbox the messages in the mailbox folder not read before."""
    if mailbox and (paths or as_issue):
        raise click.UsageError("--mailbox reads the mailbox folder: give it no files and no --as")
    if not mailbox and not paths:
        raise click.UsageError("give the files or folders to take in, or --mailbox")
    if as_issue and (len(paths) != 1 or paths[0].is_dir()):
        raise click.UsageError("--as takes exactly one file, after you have checked it")
    ws = _workspace(ctx)
    result: Any
    if mailbox:
        from generator.returns.mailbox import collect_mailbox

        result = collect_mailbox(ws, progress=_progress("Reading the mailbox",
                                                        quiet or as_json))
    else:
        from generator.returns.collect import collect

        result = collect(ws, list(paths), as_issue=as_issue,
                         progress=_progress("Taking in returns", quiet or as_json))
    if as_json:
        _echo_json([o.to_json() for o in result.outcomes]
                   + [{"file": i.path, "outcome": "ignored", "partnership": None, "form": None,
                       "issue": None, "reasons": [i.reason]} for i in result.ignored])
    else:
        for notice in result.notices:
            _echo(f"note: {notice}", err=True)
        for o in result.outcomes:
            who = f" ({o.partnership} {o.form})" if o.partnership else ""
            _echo(f"{o.outcome:<10} {o.file}{who}")
            for reason in o.reasons:
                _echo(f"           - {reason}")
        for ignored in result.ignored:
            _echo(f"{'ignored':<10} {ignored.path}")
            _echo(f"           - {ignored.reason}")
        _echo(result.summary(), err=True)
    if result.any_rejected:
        sys.exit(1)


@main.command("annotate")
@click.argument("reference", metavar="RETURN")
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="The file to write (default: the outbox, named after the returned file).")
@click.pass_context
@_fail_on_toolkit_errors
def annotate_command(ctx: click.Context, reference: str, output: Path | None) -> None:
    """Write a returned form with a comment on each problem, to send back for correction.

    RETURN is the return's number that 'history' shows (12 for #12) or the reference
    printed on the form (its latest return).
    """
    from generator.returns.corrections import write_annotated
    from generator.wording import plural

    copy = write_annotated(_workspace(ctx), reference, output)
    ret = copy.ret
    _echo(str(copy.path))
    _echo(f"Return #{ret.id} ({ret.partnership_id} {ret.form_type}, {ret.outcome}): "
          f"{plural(copy.comments, 'comment')} added; the answers are as returned.", err=True)


@main.command("history")
@click.argument("partnership_id")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_fail_on_toolkit_errors
def history_command(ctx: click.Context, partnership_id: str, as_json: bool) -> None:
    """Show every return of a partnership over time, superseded ones included."""
    from generator.council_year import long_time
    from generator.returns.tracker import partnership_history
    from generator.store import parse_time

    partnership_id, returns = partnership_history(_workspace(ctx), partnership_id)
    if as_json:
        _echo_json([{k: v for k, v in vars(r).items() if k != "answers"} for r in returns])
        return
    if not returns:
        _echo(f"No returns kept for {partnership_id}.")
    for r in returns:
        state = "in force" if r.superseded_by is None else f"superseded by #{r.superseded_by}"
        if r.outcome == "rejected":
            state = "rejected"
        received = parse_time(r.received_at)
        when = long_time(received) if received else r.received_at
        _echo(f"#{r.id}  {when}  {r.form_type} {r.period or r.cycle}  {r.outcome:<9} "
              f"{state}  {Path(r.file_name).name}  from {r.sender or 'unknown'}")


@main.command("export")
@click.option("--cycle", help="The cycle to export, e.g. 2026/27 (default: the current one).",
              callback=_cycle)
@click.option("--output", "-o", type=click.Path(path_type=Path, dir_okay=False),
              help="The workbook to write (default: reports/answers-CYCLE.xlsx).")
@click.pass_context
@_fail_on_toolkit_errors
def export_command(ctx: click.Context, cycle: str | None, output: Path | None) -> None:
    """Write the accepted answers of a cycle to Excel, one sheet per form type."""
    from generator.returns.export import export_answers

    path, count = export_answers(_workspace(ctx), output, cycle=cycle)
    _echo(f"{path} ({plural(count, 'accepted return')})")


@main.command("status")
@click.option("--cycle", help="Only this cycle (default: every cycle).",
              callback=_cycle)
@click.option("--xlsx", "as_xlsx", is_flag=True,
              help="Also write the tracker workbook, reports/tracker.xlsx.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_fail_on_toolkit_errors
def status_command(ctx: click.Context, cycle: str | None, as_xlsx: bool, as_json: bool) -> None:
    """Show what was issued, returned, accepted, rejected, outstanding or overdue."""
    from generator.returns.tracker import status_lines, status_rows, write_tracker
    from generator.store import Store

    ws = _workspace(ctx)
    with Store(ws.path("store")) as store:
        rows = status_rows(store, cycle=cycle)
        journal = store.journal_mode
    # Never waits for the writer lock: the tracker is rewritten whole from one reading of the
    # store and replaces the old one in one step, so two at once leave one complete tracker.
    tracker = None
    if as_xlsx:
        from generator.formdefs import form_titles

        tracker = write_tracker(rows, ws.path("reports") / "tracker.xlsx",
                                form_titles(ws.forms_dir, ws.framework()))
    if as_json:
        _echo_json([r.to_json() for r in rows])
        _echo(ws.sharing(journal), err=True)
        return
    for line in status_lines(rows):
        _echo(line)
    _echo(ws.sharing(journal), err=True)
    if tracker is not None:
        _echo(f"Tracker written: {tracker}", err=True)


@main.command("unlock")
@click.option("--yes", "-y", is_flag=True, help="Clear the lock without asking (for scripts).")
@click.pass_context
@_fail_on_toolkit_errors
def unlock_command(ctx: click.Context, yes: bool) -> None:
    """Clear the workspace's lock left by a command that never finished.

    Says who holds it and since when, and asks first. Clear it only when that command is no
    longer running: a lock left behind is also cleared by the next command, by itself, once
    its holder's process is gone (same computer) or after [workspace] lock_stale_hours.
    """
    from generator.lock import clear_lock, current_holder, lock_file

    ws = _workspace(ctx)
    if not lock_file(ws.root).exists():
        _echo("No command holds the workspace's lock, so there is nothing to clear. "
              "Nothing was changed.")
        return
    holder = current_holder(ws.root)
    if holder is None:
        _echo(f"The workspace's lock file ({lock_file(ws.root)}) cannot be read: a command "
              "stopped while taking it, or one is taking it this moment.")
    else:
        _echo(f"{holder.describe()}.")
        if holder.running_here():
            _echo(f"That command is still running on this computer (process {holder.pid}).")
        elif holder.on_this_computer():
            _echo("That command is no longer running: it ended without finishing (the next "
                  "command would also clear its lock by itself).")
    question = ("Clear the lock? Only if that command is no longer running: two commands "
                "changing the workspace at once can lose work")
    if not yes and not click.confirm(question, default=False, err=True):
        _echo("The lock was kept. Nothing was changed.", err=True)
        sys.exit(1)
    if not clear_lock(ws.root, holder):
        _echo("The lock was not cleared: it changed meanwhile (another command took it or "
              "cleared it). Run 'partnerships unlock' again to see who holds it now.", err=True)
        sys.exit(1)
    _echo("The lock was cleared: other commands can change the workspace again.")


@main.group("report")
def report_group() -> None:
    """Compile and check committee papers."""


@report_group.command("check")
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@_fail_on_toolkit_errors
def report_check(file: Path) -> None:
    """Check a Word paper against the accessibility rules; exit 1 if any fails."""
    from generator.office.accessibility import check_paper, format_findings

    findings = check_paper(file)
    if findings:
        for line in format_findings(findings).splitlines():
            _echo(line)
        sys.exit(1)
    _echo(f"{file.name}: passes the accessibility checks.")


def _smtp_password(ws: Workspace) -> str | None:
    """The SMTP password from its environment variable, else asked for (never an argument)."""
    from generator.mail.plan import (
        password_from_environment,
        password_variable,
        smtp_settings,
    )

    settings = smtp_settings(ws)
    password = password_from_environment(ws)
    if password is None and settings.user:
        password = click.prompt(f"Password for {settings.user} on {settings.host} (or set "
                                f"{password_variable(ws)})", hide_input=True, err=True)
    return password


def _deliver_plan(ws: Workspace, plan: Any, smtp: bool, as_json: bool) -> None:
    """Deliver a send or chase plan, print one line per email, exit 1 if anything failed.

    Statuses: drafted, sent, skipped (another run did it, or is doing it), failed (not
    written or sent) and unknown (may have been sent: check Sent Items).
    """
    from generator.mail.plan import deliver

    password = _smtp_password(ws) if smtp and plan.emails else None
    results = deliver(ws, plan, smtp=smtp, password=password)
    if as_json:
        _echo_json({"results": [r.to_json() for r in results],
                    **{k: v for k, v in plan.to_json().items() if k != "emails"}})
    else:
        for notice in plan.notices:
            _echo(f"note: {notice}", err=True)
        for r in results:
            said = [str(r.path)] if r.path else []
            said += [text for text in (r.error, r.warning, r.note) if text]
            outcome = "; ".join(said) or (
                "already recorded; not sent again" if r.skipped else "accepted by the server")
            _echo(f"{r.status:<8} {r.kind:<6} {r.to_name} <{r.to_address}> | {r.subject} | "
                       f"{len(r.attachments)} attached: {', '.join(r.attachments)} | {outcome}")
        for note in plan.held:
            _echo(f"held     {note.message}")
        for note in plan.problems:
            _echo(f"problem  {note.message}")
        done = sum(1 for r in results if r.ok and not r.skipped)
        failed = sum(1 for r in results if r.status == "failed")
        unsure = sum(1 for r in results if r.status == "unknown")
        verb = "sent" if smtp else f"written to {ws.path('outbox')}"
        maybe = f"{unsure} may have been sent (check Sent Items); " if unsure else ""
        _echo(f"{plural(done, 'email')} {verb}; {failed} failed; {maybe}"
              f"{plural(len(plan.held), 'form')} held back; "
              f"{plural(len(plan.problems), 'problem')}.", err=True)
    if plan.problems or any(not r.ok for r in results):
        sys.exit(1)


@main.command("send")
@click.argument("form_type", callback=_form_type)
@click.option("--id", "partnership_id", help="Only this partnership (its register ID).")
@click.option("--smtp", is_flag=True,
              help="Send through the [smtp] mail server instead of writing .eml drafts.")
@click.option("--resend", is_flag=True,
              help="Send forms again that were already sent, or that may have been (check "
                   "Sent Items first).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_fail_on_toolkit_errors
def send_command(ctx: click.Context, form_type: str, partnership_id: str | None, smtp: bool,
                 resend: bool, as_json: bool) -> None:
    """Email the issued FORM_TYPE forms: one email per Business Manager, forms attached."""
    from generator.mail.plan import prepare_send

    ws = _workspace(ctx)
    plan = prepare_send(ws, form_type, resend=resend, partnership_id=partnership_id)
    _deliver_plan(ws, plan, smtp, as_json)


@main.command("chase")
@click.option("--smtp", is_flag=True,
              help="Send through the [smtp] mail server instead of writing .eml drafts.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@_fail_on_toolkit_errors
def chase_command(ctx: click.Context, smtp: bool, as_json: bool) -> None:
    """Remind Business Managers of overdue forms and query each rejected return."""
    from generator.mail.plan import prepare_chase

    ws = _workspace(ctx)
    _deliver_plan(ws, prepare_chase(ws), smtp, as_json)


def _echo_paper(result: Any, as_json: bool) -> None:
    if as_json:
        _echo_json(result.to_json())
        return
    for path in (result.docx, result.xlsx, result.pdf):
        if path is not None:
            _echo(path)
    for note in result.notes:
        _echo(f"Note: {note}", err=True)
    if result.checks:
        _echo(f"To check before publishing (also in {result.checks_file}):", err=True)
        for check in result.checks:
            _echo(f"  - {check}", err=True)


@report_group.command("scrutiny")
@click.option("--cycle", help="The cycle to report on, e.g. 2026/27 (default: the current one).",
              callback=_cycle)
@click.option("--pdf", is_flag=True, help="Also save a PDF (needs LibreOffice).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: docx, xlsx, pdf, notes.")
@click.pass_context
@_fail_on_toolkit_errors
def report_scrutiny(ctx: click.Context, cycle: str | None, pdf: bool, as_json: bool) -> None:
    """Compile the annual report to the Scrutiny Committee, with its Excel data annex."""
    from generator.papers.committee import compile_scrutiny

    _echo_paper(compile_scrutiny(_workspace(ctx), cycle=cycle, pdf=pdf), as_json)


@report_group.command("cgb")
@click.option("--period", help="The quarter of the council year: Q3, Q3 2026/27 or 2026/27 Q3 "
                              "(default: [cycle] period in the settings).")
@click.option("--pdf", is_flag=True, help="Also save a PDF (needs LibreOffice).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: docx, xlsx, pdf, notes.")
@click.pass_context
@_fail_on_toolkit_errors
def report_cgb(ctx: click.Context, period: str | None, pdf: bool, as_json: bool) -> None:
    """Compile the monitoring update to the Corporate Governance Board, exceptions first."""
    from generator.papers.committee import compile_cgb

    _echo_paper(compile_cgb(_workspace(ctx), period=period, pdf=pdf), as_json)
