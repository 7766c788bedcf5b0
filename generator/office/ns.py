"""Every XML namespace the toolkit reads or writes, and helpers for Clark names ("{ns}tag").

One map for the whole package: Word's main, 2010 and 2012 namespaces for content controls,
relationships, document properties, DrawingML and the markup-compatibility namespace.
"""

from __future__ import annotations

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
W14_NS = "http://schemas.microsoft.com/office/word/2010/wordml"
W15_NS = "http://schemas.microsoft.com/office/word/2012/wordml"
R_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
CONTENT_TYPES_NS = "http://schemas.openxmlformats.org/package/2006/content-types"
CORE_NS = "http://schemas.openxmlformats.org/package/2006/metadata/core-properties"
CUSTOM_NS = "http://schemas.openxmlformats.org/officeDocument/2006/custom-properties"
VT_NS = "http://schemas.openxmlformats.org/officeDocument/2006/docPropsVTypes"
DC_NS = "http://purl.org/dc/elements/1.1/"
DCTERMS_NS = "http://purl.org/dc/terms/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_NS = "http://www.w3.org/XML/1998/namespace"
MC_NS = "http://schemas.openxmlformats.org/markup-compatibility/2006"
WP_NS = "http://schemas.openxmlformats.org/drawingml/2006/wordprocessingDrawing"
A_NS = "http://schemas.openxmlformats.org/drawingml/2006/main"
V_NS = "urn:schemas-microsoft-com:vml"
ADEC_NS = "http://schemas.microsoft.com/office/drawing/2017/decorative"
SHEET_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"

# Prefixes as Word writes them, for XPath and for writing.
NS = {"w": W_NS, "w14": W14_NS, "w15": W15_NS, "r": R_NS, "mc": MC_NS, "wp": WP_NS, "a": A_NS,
      "v": V_NS, "cp": CORE_NS, "dc": DC_NS, "dcterms": DCTERMS_NS, "vt": VT_NS, "xsi": XSI_NS}


def w(tag: str) -> str:
    """The Clark name of a WordprocessingML element or attribute: w("sdt")."""
    return f"{{{W_NS}}}{tag}"


def w14(tag: str) -> str:
    return f"{{{W14_NS}}}{tag}"


def w15(tag: str) -> str:
    return f"{{{W15_NS}}}{tag}"
