"""The Excel data annex of a committee paper: one sheet per table of the paper.

Every sheet is written by `generator.office.excel.TableWorkbook`: frozen header,
filters, numbers as numbers (money with a £ format), dates as dates, and text typed by
Business Managers kept as text (never a formula). Columns holding ratings are filled with the
paper's RAG colours, the rating word always written in the cell.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from generator.office.excel import StreamedSheet, TableWorkbook
from generator.papers.committee.sources import HEADERS, SHEET, source_rows
from generator.papers.committee.tables import Table
from generator.vocabulary import rag_colours


def annex_workbook(tables: Iterable[Table], *, about: Sequence[tuple[str, object]]
                   ) -> TableWorkbook:
    """The annex: an 'About' sheet, one sheet per table, and the Sources sheet tracing each
    figure of the tables that say where their rows come from (`sources.source_rows`).

    Each sheet goes into the package as it is written, so that the annex of a paper for
    thousands of partnerships is not held in memory as cells."""
    workbook = TableWorkbook()
    workbook.add_sheet("About", ["Item", "Detail"], [list(row) for row in about],
                       col_widths={"Item": 28, "Detail": 90})
    paper = str(dict(about).get("Paper", ""))
    # The Sources sheet goes last, but its rows are written as each table is: at 5,000
    # partnerships they were 300,000 rows (125 MB) held until the last table was written.
    sources: StreamedSheet | None = None
    for table in tables:  # each let go once written
        workbook.add_sheet(table.sheet, table.headers, table.rows,
                           number_formats=table.excel_formats(),
                           colour_columns=[table.headers[c] for c in table.rag],
                           colour_of=rag_colours, bold_last_row=table.total)
        traced = source_rows(paper, [table])
        if traced:
            sources = sources or workbook.add_streamed_sheet(SHEET, HEADERS)
            sources.add_rows(traced)
    return workbook


def write_annex(path: Path, tables: Iterable[Table], *, about: Sequence[tuple[str, object]]
                ) -> Path:
    """Write the annex to `path` (atomically)."""
    annex_workbook(tables, about=about).save(path)
    return path
