"""The PDFs' font chain: each character in the first font that has it, widths over the same runs."""

import io
import logging
import re
import shutil
import subprocess

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas

from wuye.core import pdffonts
from wuye.core.pdffonts import MISSING_MARK, PRIMARY_FONT, PdfText

EXT_A, EXT_B = "WuyeCJKExtA", "WuyeCJKExtB"


def _pen() -> tuple[PdfText, io.BytesIO]:
    buffer = io.BytesIO()
    return PdfText(Canvas(buffer), document="test document 7"), buffer


def test_each_character_is_drawn_in_the_first_font_that_has_it():
    pen, _buffer = _pen()
    assert pen.chain.names == (PRIMARY_FONT, EXT_A, EXT_B)
    # 㐀 (Ext A) and 𠀀 (Ext B) are in HanaMinA, 𠀁 (Ext B) only in HanaMinB, U+E000 in none.
    assert pen.runs("张㐀𠀀𠀁A\ue000三") == [
        (PRIMARY_FONT, "张"),
        (EXT_A, "㐀𠀀"),
        (EXT_B, "𠀁"),
        (PRIMARY_FONT, f"A{MISSING_MARK}三"),
    ]


def test_width_is_measured_over_the_runs():
    pen, _buffer = _pen()
    expected = sum(
        pdfmetrics.stringWidth(part, font, 12) for font, part in [(PRIMARY_FONT, "AB"), (EXT_B, "𠀁")]
    )
    assert pen.width("AB𠀁", 12) == expected
    assert pen.width(" ".join(["𠀁A"] * 3), 12) == 3 * pen.width("𠀁A", 12) + 2 * pen.width(" ", 12)


def test_wrap_breaks_at_spaces_by_the_runs_widths():
    pen, _buffer = _pen()
    word = "𠀁𠀁"  # 24 points at 12
    assert pen.width(word, 12) == 24
    assert pen.wrap(f"{word} {word} {word}\n{word}", 12, 24 * 2 + pen.width(" ", 12)) == [
        f"{word} {word}",
        word,
        word,
    ]


def _words(content: bytes, tmp_path) -> dict[str, tuple[float, float]]:
    """Each word pdftotext reads from the PDF, with its left and right ends."""
    path = tmp_path / "text.pdf"
    path.write_bytes(content)
    html = subprocess.run(  # noqa: S603 (a fixed poppler command on our own temporary file)
        [shutil.which("pdftotext") or "pdftotext", "-bbox", str(path), "-"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    return {
        word: (float(x_min), float(x_max))
        for x_min, x_max, word in re.findall(
            r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>(.*?)</word>', html
        )
    }


def test_right_aligned_and_centred_text_in_several_fonts_ends_where_asked(tmp_path, caplog):
    pen, buffer = _pen()
    with caplog.at_level(logging.WARNING, logger="wuye.core.pdffonts"):
        pen.draw(400, 700, "张㐀𠀀𠀁A", 20, align="right")
        pen.draw(300, 600, "𠀁张㐀x", 20, align="centre")
        pen.draw(100, 500, "左𠀁\ue000", 20)
        pen.draw(100, 400, "\ue000右", 20)
    pen.canvas.save()

    words = _words(buffer.getvalue(), tmp_path)
    assert list(words) == ["张㐀𠀀𠀁A", "𠀁张㐀x", f"左𠀁{MISSING_MARK}", f"{MISSING_MARK}右"]
    assert round(words["张㐀𠀀𠀁A"][1], 2) == 400
    left, right = words["𠀁张㐀x"]
    assert round((left + right) / 2, 2) == 300
    assert round(words[f"左𠀁{MISSING_MARK}"][0], 2) == 100
    # Once per character and document, naming the document and the code point only.
    assert [r.getMessage() for r in caplog.records] == [
        f"PDF test document 7: no installed font has a glyph for U+E000; printed {MISSING_MARK} in its place"
    ]
    assert pen.missing == [0xE000]


def test_characters_beyond_the_bmp_are_read_back_from_the_pdf(tmp_path):
    # ReportLab's own ToUnicode CMap wrote <20001> for U+20001, which readers took for other characters.
    assert pdffonts._to_unicode_cmap("F", [0x41, 0x4E09, 0x20001]).splitlines()[14:17] == [
        "<00> <0041>",
        "<01> <4E09>",
        "<02> <D840DC01>",
    ]
    pen, buffer = _pen()
    pen.draw(100, 700, "𠀀𠀁𪛖𠮷", 20)
    pen.canvas.save()
    assert list(_words(buffer.getvalue(), tmp_path)) == ["𠀀𠀁𪛖𠮷"]
