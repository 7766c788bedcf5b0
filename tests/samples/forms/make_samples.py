"""Make the version-1 sample returns in this folder (run once, with the toolkit at version 1).

    mkdir /tmp/v1 && git archive a10c8fd | tar -x -C /tmp/v1
    cd /tmp && PYTHONPATH=/tmp/v1 python REPOSITORY/tests/samples/forms/make_samples.py

(from a folder outside the repository, so that the old toolkit is the one imported).

Each sample is a form issued by that toolkit to a partnership of the example register and
filled with the demo's example answers, as a Business Manager would return it; beside it,
the answers that toolkit read back from it.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

from generator.demo import example_answers
from generator.formdefs import load_definition
from generator.forms.fill import fill_form
from generator.forms.issue import issue_forms
from generator.forms.read import read_form
from generator.register import read_register
from generator.workspace import init_workspace

TODAY = dt.date(2026, 11, 25)
SAMPLES = {"explore": "P007", "design": "P006", "agreement": "P006", "review": "P001"}
HERE = Path(__file__).parent


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        ws = init_workspace(Path(folder) / "ws", today=TODAY)
        register = read_register(ws.path("register"), ws.framework())
        for form_type, partnership_id in SAMPLES.items():
            definition = load_definition(form_type, framework=ws.framework(),
                                         forms_dir=ws.forms_dir)
            assert definition.version == 1, "run this with the toolkit at version 1"
            form = issue_forms(ws, form_type, partnership_id=partnership_id,
                               today=TODAY).written[0]
            partnership = register.get(partnership_id)
            answers = example_answers(definition, partnership, today=TODAY)
            filled = fill_form(form.path.read_bytes(), definition, answers,
                               author=partnership.bm_name)
            target = HERE / f"{form_type}-v1.docx"
            target.write_bytes(filled)
            reading = read_form(target)
            assert not reading.errors, reading.errors
            (HERE / f"{form_type}-v1.json").write_text(
                json.dumps(reading.answers, indent=1, ensure_ascii=False, sort_keys=True)
                + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
