"""Text in Wuye's PDFs: one chain of TrueType fonts, so that every character of a name is printed.

ReportLab draws a string in one font, and a character that font has no glyph for comes out as
nothing at all, with no warning: a name with a rare character (CJK Extension A, U+3400-U+4DBF, e.g. 㐀;
Extension B, U+20000-U+2A6DF, e.g. 𠀀 𠮷) would print wrong on an official document. So every PDF
writer draws its text through :class:`PdfText`, which splits a string into runs, each in the first
font of the chain that has the glyph of each character:

1. WenQuanYi Micro Hei (Debian's ``fonts-wqy-microhei``), the primary font, required;
2. HanaMinA (``fonts-hanazono``): Extension A, and more of B, C, D and E;
3. HanaMinB (``fonts-hanazono``): Extension B and beyond.

A character no font of the chain has is printed as :data:`MISSING_MARK` (〓, the typesetter's mark of a
missing character), so the reader sees that something is missing, and a warning is logged naming the
document and the code point (never the text around it, which is often a person's name). Without the
fallback fonts the documents still print, with the mark for each character the primary font lacks.

Widths (centred and right-aligned text, line wrapping) are measured over the same runs.

ReportLab reads TrueType outlines only: Noto CJK (PostScript/CFF outlines) cannot be used.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from reportlab.pdfbase import pdfmetrics, ttfonts
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

log = logging.getLogger(__name__)

PRIMARY_FONT = "WuyeCJK"
# (path, index of the face inside a .ttc collection), most wanted first.
PRIMARY_CANDIDATES = (
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),
)
PRIMARY_PACKAGE = "fonts-wqy-microhei"
# The fallbacks, in the order they are asked: (ReportLab name, path, index inside a .ttc).
FALLBACK_FONTS = (
    ("WuyeCJKExtA", "/usr/share/fonts/truetype/hanazono/HanaMinA.ttf", 0),
    ("WuyeCJKExtB", "/usr/share/fonts/truetype/hanazono/HanaMinB.ttf", 0),
)
FALLBACK_PACKAGE = "fonts-hanazono"
MISSING_MARK = "〓"  # U+3013 GETA MARK, in the primary font


class PdfFontError(RuntimeError):
    """No TrueType CJK font is installed; the message names the Debian package to install."""


def _to_unicode_cmap(fontname: str, subset: list[int]) -> str:
    """ReportLab's ToUnicode CMap of an embedded subset, writing each character as UTF-16BE.

    ReportLab writes a character beyond the Basic Multilingual Plane (CJK Extension B: U+20000...) as
    its bare code point, ``<20000>``, which PDF readers read as two wrong characters: the glyph is
    right on paper but copying, searching and text extraction get garbage. UTF-16BE (a surrogate pair,
    ``<D840DC00>``) is what the PDF reference asks for; for every other character the output is
    ReportLab's own, byte for byte.
    """
    lines = [
        "/CIDInit /ProcSet findresource begin",
        "12 dict begin",
        "begincmap",
        "/CIDSystemInfo",
        f"<< /Registry ({fontname})",
        f"/Ordering ({fontname})",
        "/Supplement 0",
        ">> def",
        f"/CMapName /{fontname} def",
        "/CMapType 2 def",
        "1 begincodespacerange",
        f"<00> <{len(subset) - 1:02X}>",
        "endcodespacerange",
        f"{len(subset)} beginbfchar",
        *(
            f"<{index:02X}> <{chr(code).encode('utf-16-be', 'surrogatepass').hex().upper()}>"
            for index, code in enumerate(subset)
        ),
        "endbfchar",
        "endcmap",
        "CMapName currentdict /CMap defineresource pop",
        "end",
        "end",
    ]
    return "\n".join(lines)


# ReportLab's TTFont.addObjects calls the module's function by name: this is the one place to mend it.
ttfonts.makeToUnicodeCMap = _to_unicode_cmap


def _glyphs(name: str) -> Mapping[int, int]:
    """The code points a registered TrueType font maps to a glyph (from its cmap)."""
    return pdfmetrics.getFont(name).face.charToGlyph


@dataclass(frozen=True)
class FontChain:
    """The registered fonts, most wanted first, with the glyphs each has."""

    names: tuple[str, ...]
    glyphs: tuple[Mapping[int, int], ...] = field(repr=False)

    @property
    def primary(self) -> str:
        return self.names[0]

    def font_for(self, char: str) -> str | None:
        """The first font of the chain that has a glyph for ``char`` (glyph 0 is .notdef: none)."""
        code = ord(char)
        for name, glyphs in zip(self.names, self.glyphs, strict=True):
            if glyphs.get(code, 0):
                return name
        return None


def _register(name: str, path: str, index: int) -> bool:
    if not Path(path).exists():
        return False
    try:
        pdfmetrics.registerFont(TTFont(name, path, subfontIndex=index))
    except TTFError:
        log.warning("PDF font %s at %s cannot be read by ReportLab", name, path)
        return False
    return True


@cache
def font_chain() -> FontChain:
    """Register the primary CJK font and the fallbacks that are installed (once per process)."""
    primary = next((c for c in PRIMARY_CANDIDATES if _register(PRIMARY_FONT, *c)), None)
    if primary is None:
        raise PdfFontError(
            f"No TrueType CJK font for PDF documents: install Debian's {PRIMARY_PACKAGE} "
            f"(apt-get install {PRIMARY_PACKAGE}), which provides {PRIMARY_CANDIDATES[0][0]}."
        )
    names = [PRIMARY_FONT]
    for name, path, index in FALLBACK_FONTS:
        if _register(name, path, index):
            names.append(name)
        else:
            log.warning(
                "PDF fallback font %s is not installed: characters of CJK Extension A and B print as %s "
                "(apt-get install %s)",
                path,
                MISSING_MARK,
                FALLBACK_PACKAGE,
            )
    return FontChain(names=tuple(names), glyphs=tuple(_glyphs(name) for name in names))


def pdf_font() -> str:
    """The primary font's ReportLab name (raises :class:`PdfFontError` when none is installed)."""
    return font_chain().primary


class PdfText:
    """Draws and measures text on one canvas for one document, every character in a font that has it.

    ``document`` names the document in the warnings (a receipt's number, a community's poster): never
    put personal data in it.
    """

    def __init__(self, canvas: Canvas, *, document: str) -> None:
        self.canvas = canvas
        self.document = document
        self.chain = font_chain()
        self.missing: list[int] = []  # the code points printed as the mark, in the order met, once each
        mark_font = self.chain.font_for(MISSING_MARK)
        self._mark = (mark_font, MISSING_MARK) if mark_font else (self.chain.primary, "?")

    def runs(self, text: str) -> list[tuple[str, str]]:
        """``text`` as (font, text) runs; a character no font has becomes the mark."""
        runs: list[tuple[str, str]] = []
        for char in text:
            font = self.chain.font_for(char)
            if font is None:
                font, char = self._mark
            if runs and runs[-1][0] == font:
                runs[-1] = (font, runs[-1][1] + char)
            else:
                runs.append((font, char))
        return runs

    def width(self, text: str, size: float) -> float:
        """The width ``text`` takes when drawn at ``size``."""
        return sum(pdfmetrics.stringWidth(part, font, size) for font, part in self.runs(text))

    def wrap(self, text: str, size: float, max_width: float) -> list[str]:
        """``text`` split into lines no wider than ``max_width`` where it can be (at spaces and line
        breaks, as ReportLab's ``simpleSplit``; a word wider than the line keeps its own line)."""
        lines: list[str] = []
        space = self.width(" ", size)
        for paragraph in text.split("\n"):
            words: list[str] = []
            used = -space
            for word in paragraph.split():
                word_width = self.width(word, size)
                if words and used + space + word_width > max_width:
                    lines.append(" ".join(words))
                    words, used = [], -space
                words.append(word)
                used += space + word_width
            if words:
                lines.append(" ".join(words))
        return lines

    def draw(self, x: float, y: float, text: str, size: float, *, align: str = "left") -> None:
        """Draw ``text`` at ``size`` with its left end (``align="left"``), centre or right end at x."""
        self._warn(text)
        runs = self.runs(text)
        if align != "left":
            width = sum(pdfmetrics.stringWidth(part, font, size) for font, part in runs)
            x -= width / 2 if align == "centre" else width
        line = self.canvas.beginText(x, y)
        for font, part in runs:
            line.setFont(font, size)
            line.textOut(part)
        self.canvas.drawText(line)
        self.canvas.setFont(self.chain.primary, size)

    def _warn(self, text: str) -> None:
        for char in text:
            code = ord(char)
            if code not in self.missing and self.chain.font_for(char) is None:
                self.missing.append(code)
                log.warning(
                    "PDF %s: no installed font has a glyph for U+%04X; printed %s in its place",
                    self.document,
                    code,
                    self._mark[1],
                )
