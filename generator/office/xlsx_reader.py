"""Workbooks opened for reading, with openpyxl imported as the toolkit needs it.

openpyxl imports numpy whenever numpy is installed (it is, for matplotlib's charts), only so
that numpy's number types can be written into cells. The toolkit writes its workbooks itself
(generator.office.excel) and only reads with openpyxl, so it never gives openpyxl such a value.
Importing numpy cost every command that reads the register some 60 ms of start-up on a 2-core
machine (and 160 ms of processor time: it starts an OpenBLAS thread for each core).
"""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

__all__ = ["load_workbook"]


def load_workbook(source: IO[bytes], **options: Any) -> Workbook:
    """openpyxl's `load_workbook(source, **options)`."""
    return _openpyxl().load_workbook(source, **options)


def _openpyxl() -> Any:
    if "openpyxl" in sys.modules:
        return sys.modules["openpyxl"]
    # A None entry makes `import numpy` raise ImportError, as it would without numpy (the
    # import system's documented behaviour), and openpyxl carries on without it. The entry
    # goes as soon as openpyxl is in, so matplotlib imports numpy as usual later on. Where
    # numpy is already in (a chart was drawn first), openpyxl takes it as before.
    blocked = "numpy" not in sys.modules
    if blocked:
        sys.modules["numpy"] = None  # type: ignore[assignment]
    try:
        import openpyxl
    finally:
        if blocked and sys.modules.get("numpy", False) is None:
            del sys.modules["numpy"]
    return openpyxl
