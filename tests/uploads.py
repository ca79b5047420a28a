"""Files for upload tests: real images written by Pillow, and hostile files every upload path refuses."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

SCRIPT = b"<html><body><script>alert(document.cookie)</script></body></html>"


def image_bytes(format: str = "PNG", size=(8, 8), colour=(200, 30, 30), **options) -> bytes:
    """A real, small image of one colour in ``format`` (PNG, JPEG, WEBP, GIF)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, colour).save(buffer, format=format, **options)
    return buffer.getvalue()


def decoded(content: bytes) -> tuple[str, tuple[int, int]]:
    """(Pillow's format, size) of an image, decoded whole."""
    with Image.open(io.BytesIO(content)) as image:
        image.load()
        return image.format, image.size


def polyglot_gif() -> bytes:
    """A real GIF that is also a web page: the browser sniffing it as HTML would run the script."""
    return image_bytes("GIF") + SCRIPT


# Files that are no image at all, whatever their first bytes or names say.
HOSTILE = {
    "html-with-png-magic": b"\x89PNG\r\n\x1a\n" + SCRIPT,
    "html-with-jpeg-magic": b"\xff\xd8\xff\xe0" + SCRIPT,
    "gif-header-then-script": b"GIF89a=1;/*" + SCRIPT + b"*/",
    "svg-with-script": b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>',
}


def files_under(root) -> list[Path]:
    """Every file stored under ``root`` (MEDIA_ROOT in a test)."""
    return sorted(path for path in Path(root).rglob("*") if path.is_file())
