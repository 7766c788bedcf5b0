"""Committee papers: the annual report to the Scrutiny Committee and the monitoring update to
the Corporate Governance Board, each a Word paper with an Excel data annex (and a PDF if asked).

    compile_scrutiny(ws, cycle="2026/27", pdf=False) -> PaperResult
    compile_cgb(ws, period="2026-Q4", pdf=False) -> PaperResult

Modules: `figures` gathers what the returns say (and the gaps), `scrutiny` and `cgb` write the
papers on `layout.CommitteePaper` (what both share: front sheet, sections, implications,
saving), `officer_text` reads the officer-written text, `tables` and `annex` make the tables
and the Excel data annex, `template` builds `templates/committee-paper.docx`.
"""

from generator.papers.committee.cgb import compile_cgb
from generator.papers.committee.layout import PaperResult
from generator.papers.committee.scrutiny import compile_scrutiny

__all__ = ["PaperResult", "compile_cgb", "compile_scrutiny"]
