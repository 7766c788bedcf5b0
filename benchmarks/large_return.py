"""Reading one large return: its time and the peak memory of the process that reads it.

``python -m benchmarks.large_return MB SHAPE OUT.json`` builds a workspace, fills in an Explore
form, makes it about MB megabytes within every limit of the hostile-file opener, and then, in
this process, takes it in with `collect` (open, read, validate, store). SHAPE is how the bulk
is carried:

- ``pictures``: large pictures (incompressible bytes) beside an ordinary document;
- ``text``: a long paste of text outside the answer boxes (45 MB in the document itself,
  near the 50 MB limit per part), and pictures for the rest.

The return is built in one process and taken in by a fresh one, whose own maximum resident
set size (VmHWM, or getrusage elsewhere) is the peak; the baseline is that process just
before `collect` (Python, the toolkit and its libraries loaded, nothing read yet).
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from generator.demo import example_answers
from generator.formdefs import load_definition
from generator.forms.fill import fill_form
from generator.forms.issue import issue_forms
from generator.register import read_register
from generator.returns.collect import collect
from generator.workspace import init_workspace, open_workspace

SHAPES = ("pictures", "text")
TODAY = dt.date(2026, 11, 25)
TEXT_BYTES = 45 * 1024 * 1024


def _peak_mb() -> float:
    # Linux keeps getrusage's maximum across exec, so a process started by a larger one
    # would inherit its peak; VmHWM (the high-water mark of this process's own memory) is
    # this process's alone.
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20


def _padded(form: bytes, megabytes: int, shape: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(form))
    rng = random.Random(0)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info.filename)
            if shape == "text" and info.filename == "word/document.xml":
                paragraphs, size = [], 0
                while size < TEXT_BYTES:
                    text = base64.b64encode(rng.randbytes(3000))
                    paragraphs.append(b"<w:p><w:r><w:t>" + text + b"</w:t></w:r></w:p>")
                    size += len(paragraphs[-1])
                data = data.replace(b"<w:sectPr", b"".join(paragraphs) + b"<w:sectPr", 1)
            archive.writestr(info, data)
        archive.close()
        remaining, number = megabytes * 1024 * 1024 - out.tell(), 1
        with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as pictures:
            # Each picture under the 50 MB limit per part.
            while remaining > 0:
                chunk = min(remaining, 40 * 1024 * 1024)
                pictures.writestr(f"word/media/picture{number}.png", rng.randbytes(chunk))
                remaining -= chunk
                number += 1
    return out.getvalue()


def build(megabytes: int, shape: str, folder: Path) -> Path:
    """A workspace in `folder` with one issued Explore form, returned as a large file."""
    ws = init_workspace(folder / "ws", today=TODAY)
    issued = issue_forms(ws, "explore", partnership_id="P007", today=TODAY).written[0]
    definition = load_definition("explore", framework=ws.framework(), forms_dir=ws.forms_dir)
    partnership = read_register(ws.path("register"), ws.framework()).get("P007")
    assert partnership is not None
    filled = fill_form(issued.path.read_bytes(), definition,
                       example_answers(definition, partnership, today=TODAY))
    path = ws.path("returns") / "large.docx"
    path.write_bytes(_padded(filled, megabytes, shape))
    return path


def take_in(path: Path) -> dict[str, object]:
    """Take the large return in, in this process; its time and this process's memory."""
    ws = open_workspace(path.parents[1])
    baseline = _peak_mb()
    started = time.perf_counter()
    outcome = collect(ws, [path]).outcomes[0]
    seconds = time.perf_counter() - started
    return {"file_mb": round(path.stat().st_size / 2**20, 1), "outcome": outcome.outcome,
            "reasons": outcome.reasons, "seconds": round(seconds, 2),
            "baseline_mb": round(baseline, 1), "peak_mb": round(_peak_mb(), 1)}


def measure(megabytes: int, shape: str) -> dict[str, object]:
    """Build a return of about `megabytes` MB and take it in from a fresh process."""
    with tempfile.TemporaryDirectory(prefix="partnerships-large-") as tmp:
        path = build(megabytes, shape, Path(tmp))
        out = Path(tmp) / "figures.json"
        subprocess.run([sys.executable, "-m", "benchmarks.large_return", "take-in", str(path),
                        str(out)], check=True)
        return {"shape": shape, **json.loads(out.read_text(encoding="utf-8"))}


def main(argv: list[str]) -> int:
    if argv[:1] == ["take-in"]:
        Path(argv[2]).write_text(json.dumps(take_in(Path(argv[1]))), encoding="utf-8")
        return 0
    megabytes, shape, out = int(argv[0]), argv[1], Path(argv[2])
    if shape not in SHAPES:
        raise SystemExit(f"SHAPE is one of {', '.join(SHAPES)}")
    out.write_text(json.dumps(measure(megabytes, shape)), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
