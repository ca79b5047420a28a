"""Uploaded files: accepted by their decoded content, stored under generated names, served with safe headers.

One kit for every upload (household documents, service request photos; from the console, the portal
and the API), because an upload is script on our origin waiting to happen unless three things hold:

- **Checked by content.** ``upload_check`` decodes an image with Pillow (JPEG, PNG, WebP or GIF; never
  SVG) and writes it again from its pixels, so what is stored is a clean image: no trailing HTML, no
  polyglot payload, no metadata (an owner's photo carries no GPS position). A PDF is kept as it is and
  only ever served as a download. The client's name, extension and Content-Type header count for
  nothing.
- **Stored under a generated name.** ``stored_name`` gives ``<folder>/<random>.<extension of the
  detected type>``; the models' ``upload_to`` functions call it.
- **Served only by views that check the requester's right to the file** (staff: their communities;
  owners: their bound households), through ``upload_response``: the stored type, ``nosniff``, a
  sandbox CSP, and ``attachment`` for anything but a verified image. No URL serves MEDIA_ROOT.

``upload_hold`` keeps a checked upload between two posts of one form: a form refused for another
field would otherwise lose it (a browser never sends a file again), so the caller holds it under a
token that only its user can name (kept in the session), and passes ``held_file`` on when the form
is accepted.

``stored_file_recheck`` brings a file stored before these rules (kept under the client's name, typed
by its first bytes) into line: the data migrations of the documents and photos call it.
"""

from __future__ import annotations

import io
import re
import uuid
from dataclasses import dataclass
from pathlib import PurePath

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

JPEG, PNG, WEBP, GIF = "image/jpeg", "image/png", "image/webp", "image/gif"
PDF = "application/pdf"
# The type of a stored file whose content proved nothing (only old rows): always a download.
UNVERIFIED = "application/octet-stream"

# The images we accept, by the name of the Pillow plugin that opens them; the JPEG plugin names a
# phone's JPEG with a second picture inside "MPO". What we store: JPEG stays JPEG, WebP stays WebP,
# PNG and GIF become PNG.
OPENERS = {"JPEG": JPEG, "PNG": PNG, "WEBP": WEBP, "GIF": GIF}
DECODERS = {**OPENERS, "MPO": JPEG}
ENCODERS = {JPEG: ("JPEG", JPEG, {"quality": 90}), WEBP: ("WEBP", WEBP, {"quality": 90})}
LOSSLESS = ("PNG", PNG, {})
EXTENSIONS = {JPEG: ".jpg", PNG: ".png", WEBP: ".webp", GIF: ".gif", PDF: ".pdf", UNVERIFIED: ".bin"}

IMAGES = frozenset({JPEG, PNG, WEBP, GIF})
DOCUMENTS = IMAGES | {PDF}
# The ``accept`` attribute of a file input: a hint to the phone's picker, checked again by content.
ACCEPT_IMAGES = ",".join(sorted(IMAGES))
ACCEPT_DOCUMENTS = ",".join(sorted(DOCUMENTS))

# A bigger picture is refused before it is decoded: 50 million pixels is a large phone photo, and
# decoding one takes about 150 MB.
MAX_PIXELS = 50_000_000


class UploadRefusedError(Exception):
    """An upload that is not what we accept; nothing was stored. The message is translated."""


@dataclass(frozen=True)
class CheckedUpload:
    """An accepted upload: the bytes to store (an image written again by us) and their type."""

    content: bytes
    content_type: str
    original_name: str

    @property
    def size(self) -> int:
        return len(self.content)

    def as_file(self) -> ContentFile:
        """The content for a FileField; the field's ``upload_to`` names it (``stored_name``)."""
        return ContentFile(self.content, name=f"upload{EXTENSIONS[self.content_type]}")


def _display_name(upload) -> str:
    name = PurePath(str(getattr(upload, "name", "") or "")).name
    return name[:80] or _("The file")


def _pillow_formats(accept: frozenset[str]) -> list[str]:
    return [name for name, content_type in OPENERS.items() if content_type in accept]


def _pixels(content: bytes, formats: list[str]) -> int:
    """Width × height from the image's header (nothing is decoded yet); 0 if there is no header."""
    try:
        with Image.open(io.BytesIO(content), formats=formats) as image:
            return image.width * image.height
    except Image.DecompressionBombError:  # Pillow's own limit, far above ours
        return MAX_PIXELS + 1
    except Exception:  # Pillow raises many kinds on hostile bytes; each means "not an image"
        return 0


def _decoded_type(content: bytes, formats: list[str]) -> str | None:
    """The image type of ``content`` if Pillow decodes it whole with one of ``formats``, else None."""
    if not formats or not 0 < _pixels(content, formats) <= MAX_PIXELS:
        return None
    try:
        with Image.open(io.BytesIO(content), formats=formats) as image:
            image.verify()
        with Image.open(io.BytesIO(content), formats=formats) as image:
            image.load()
            return DECODERS.get(image.format or "")
    except Exception:  # Pillow raises many kinds on hostile bytes; each means "not an image"
        return None


def _reencoded(content: bytes, formats: list[str]) -> tuple[bytes, str]:
    """The image written again from its pixels, upright, without metadata or anything appended."""
    with Image.open(io.BytesIO(content), formats=formats) as source:
        image = ImageOps.exif_transpose(source)
        decoded_type = DECODERS[source.format or ""]
    encoder, content_type, options = ENCODERS.get(decoded_type, LOSSLESS)
    grey = image.mode in {"1", "L"}
    if encoder == "JPEG":
        mode = "L" if grey else "RGB"
    else:
        transparent = image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info
        mode = "RGBA" if transparent else ("L" if grey else "RGB")
    clean = image.convert(mode)
    clean.info = {}  # no comment, EXIF, ICC profile or text chunk of the upload is written again
    buffer = io.BytesIO()
    clean.save(buffer, format=encoder, **options)
    return buffer.getvalue(), content_type


def _refusal(name: str, accept: frozenset[str]) -> str:
    if PDF in accept:
        return _(
            "%(name)s is neither a PDF nor a JPEG, PNG, WebP or GIF image (its content was checked, not its name)."
        ) % {"name": name}
    return _("%(name)s is not a JPEG, PNG, WebP or GIF image (its content was checked, not its name).") % {
        "name": name
    }


def _too_large(name: str, max_bytes: int) -> UploadRefusedError:
    return UploadRefusedError(
        _("%(name)s is larger than %(mb)s MB.") % {"name": name, "mb": max(1, max_bytes // 2**20)}
    )


def upload_check(upload, *, accept: frozenset[str], max_bytes: int) -> CheckedUpload:
    """Accept ``upload`` only if its content is one of the types in ``accept``; raise otherwise.

    Images are decoded and written again (see the module docstring); a PDF is recognised by its
    header and kept as it is (it is only ever served as a download). Nothing is stored here.
    """
    name = _display_name(upload)
    if upload.size is not None and upload.size > max_bytes:
        raise _too_large(name, max_bytes)
    upload.seek(0)
    content = upload.read(max_bytes + 1)
    upload.seek(0)
    if len(content) > max_bytes:
        raise _too_large(name, max_bytes)
    if PDF in accept and content.startswith(b"%PDF-"):
        return CheckedUpload(content=content, content_type=PDF, original_name=name)
    formats = _pillow_formats(accept)
    if _pixels(content, formats) > MAX_PIXELS:
        raise UploadRefusedError(
            _("%(name)s has more than %(megapixels)s million pixels.")
            % {"name": name, "megapixels": MAX_PIXELS // 1_000_000}
        )
    if _decoded_type(content, formats) is None:
        raise UploadRefusedError(_refusal(name, accept))
    try:
        stored, content_type = _reencoded(content, formats)
    except Exception:  # it decoded, yet did not convert: refuse rather than store it raw
        raise UploadRefusedError(_refusal(name, accept)) from None
    return CheckedUpload(content=stored, content_type=content_type, original_name=name)


def stored_name(folder: str, content_type: str) -> str:
    """``<folder>/<random>.<extension>``: never the client's name, the extension of the detected type."""
    return f"{folder}/{uuid.uuid4().hex}{EXTENSIONS.get(content_type, EXTENSIONS[UNVERIFIED])}"


# Serving ------------------------------------------------------------------------------------------

_UNSAFE_IN_NAME = re.compile(r'[\x00-\x1f\x7f/\\:*?"<>|]+')


def download_name(title: str, content_type: str) -> str:
    """A file name for the browser: the display title, cleaned, with the extension of the stored type."""
    extension = EXTENSIONS.get(content_type, EXTENSIONS[UNVERIFIED])
    stem = _UNSAFE_IN_NAME.sub("_", title).strip(" ._")[:80] or "file"
    return stem if stem.lower().endswith(extension) else stem + extension


def upload_response(file, *, content_type: str, title: str) -> FileResponse:
    """Serve a stored upload to a requester whose right to it the caller has checked.

    Only a verified image is shown inline; everything else (a PDF, an old file whose content proved
    nothing) is a download. ``nosniff`` keeps the browser to the stored type, and the sandbox CSP
    keeps any document opened from here away from our origin's cookies and pages.
    """
    served_type = content_type if content_type in EXTENSIONS else UNVERIFIED
    try:
        handle = file.open("rb")
    except (FileNotFoundError, ValueError):  # ValueError: the row has no file
        raise Http404 from None
    response = FileResponse(
        handle,
        content_type=served_type,
        as_attachment=served_type not in IMAGES,
        filename=download_name(title, served_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    response["Cache-Control"] = "private"
    return response


# Uploads held between two posts of a form ---------------------------------------------------------

HELD_FOLDER = "held"


@dataclass(frozen=True)
class HeldUpload:
    """A checked upload kept in storage until its form is accepted; ``token`` names it to the form."""

    token: str
    name: str  # its stored name (under HELD_FOLDER)
    content_type: str
    original_name: str

    def as_dict(self) -> dict[str, str]:
        return {"name": self.name, "content_type": self.content_type, "original_name": self.original_name}


def upload_hold(upload, *, accept: frozenset[str], max_bytes: int) -> HeldUpload:
    """Check ``upload`` (``upload_check``; UploadRefusedError otherwise) and store its checked content
    under a generated name, with a new random token. The caller keeps the token where only its user
    reaches it and releases the file once done (``held_release``)."""
    checked = upload_check(upload, accept=accept, max_bytes=max_bytes)
    name = default_storage.save(stored_name(HELD_FOLDER, checked.content_type), ContentFile(checked.content))
    return HeldUpload(
        token=uuid.uuid4().hex,
        name=name,
        content_type=checked.content_type,
        original_name=checked.original_name,
    )


def held_file(held: HeldUpload) -> SimpleUploadedFile | None:
    """The held upload as an uploaded file again, for the domain function that takes uploads; None when
    its file is gone."""
    try:
        with default_storage.open(held.name, "rb") as handle:
            content = handle.read()
    except OSError:
        return None
    return SimpleUploadedFile(held.original_name, content, content_type=held.content_type)


def held_release(held: HeldUpload) -> None:
    default_storage.delete(held.name)


# Files stored before these rules -----------------------------------------------------------------


def stored_type_detected(content: bytes, accept: frozenset[str]) -> str:
    """The type ``content`` proves (decoded image, or PDF header), else UNVERIFIED. Nothing is rewritten."""
    if PDF in accept and content.startswith(b"%PDF-"):
        return PDF
    return _decoded_type(content, _pillow_formats(accept)) or UNVERIFIED


def stored_file_recheck(instance, *, accept: frozenset[str], field: str = "file") -> None:
    """Bring an old row's file into line: its type from its content, under a generated name.

    The type kept is the one the content proves (else UNVERIFIED, served as a download); the bytes
    are copied under the name the field's ``upload_to`` gives now, the row is saved, and the old name
    is deleted only once the transaction commits, so a failure halfway loses no file.
    """
    stored = getattr(instance, field)
    if not stored.name:
        return
    storage, old_name = stored.storage, stored.name
    try:
        with storage.open(old_name, "rb") as handle:
            content = handle.read()
    except OSError:
        instance.content_type = UNVERIFIED
        instance.save(update_fields=["content_type"])
        return
    instance.content_type = stored_type_detected(content, accept)
    new_name = storage.save(stored.field.generate_filename(instance, old_name), ContentFile(content))
    setattr(instance, field, new_name)
    instance.save(update_fields=[field, "content_type"])
    transaction.on_commit(lambda: storage.delete(old_name))
