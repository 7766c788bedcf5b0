"""What an issued form is: its identity, stamped into its document properties.

The identity (form type, version, partnership, cycle, reference, due date, period) goes into
custom document properties, which Word and LibreOffice keep when they save, so a renamed
file is still matched to the form that was issued.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from generator.office.safe_open import WordPackage

IDENTITY_KEYS = ("pt_form", "pt_version", "pt_partnership", "pt_cycle", "pt_issue", "pt_due",
                 "pt_period")
@dataclass(frozen=True)
class Identity:
    """What an issued form is: stamped into it and recorded in the store."""

    form: str
    version: int
    partnership: str
    cycle: str
    issue: str
    due: str = ""
    period: str = ""

    def properties(self) -> dict[str, str]:
        return {"pt_form": self.form, "pt_version": str(self.version),
                "pt_partnership": self.partnership, "pt_cycle": self.cycle,
                "pt_issue": self.issue, "pt_due": self.due, "pt_period": self.period}


def new_issue_id(form_type: str, partnership_id: str, cycle: str) -> str:
    """A unique reference such as 'P007-explore-202627-3f9a2c0d41b7e685'.

    The random part has 64 bits, so a reference cannot be guessed from another one.
    """
    return f"{partnership_id}-{form_type}-{cycle.replace('/', '')}-{secrets.token_hex(8)}"


def identity_of(package: WordPackage) -> Identity | None:
    """The identity stamped in a form's custom properties, or None when it is missing."""
    props = package.custom_properties
    if not props.get("pt_form") or not props.get("pt_issue"):
        return None
    try:
        version = int(props.get("pt_version", ""))
    except ValueError:
        version = 0
    return Identity(props["pt_form"], version, props.get("pt_partnership", ""),
                    props.get("pt_cycle", ""), props["pt_issue"], props.get("pt_due", ""),
                    props.get("pt_period", ""))
