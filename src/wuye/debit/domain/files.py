"""The files of a batch (送盘) and the bank's files read back (回盘, returns), in the batch's format.

The files are written from the stored lines every time they are asked for, so the same batch always
gives the same bytes (the digest stored when it was sent proves it); nothing of a card number is
kept outside the encrypted mandate.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import zipfile

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from wuye.core import sql
from wuye.core.audit import log_action, register_actions
from wuye.core.crypto import decrypt_many
from wuye.debit.domain.batches import batch_community_id
from wuye.debit.interfaces import bankfiles
from wuye.debit.interfaces.files import DebitFile
from wuye.debit.interfaces.files import DebitLine as FileLine
from wuye.debit.interfaces.textformat import TextFormat
from wuye.debit.models import DebitBatch, DebitSettings

register_actions({"debit.batch.downloaded": gettext_lazy("Debit batch files downloaded")})


def batch_debit_file(batch: DebitBatch) -> DebitFile:
    """The batch as its debit file describes it: creditor, dates and every line in line order."""
    creditor = DebitSettings.of(batch_community_id(batch))
    memo = _("Property fees by %(date)s") % {"date": f"{batch.cutoff_on:%Y-%m-%d}"}
    # One read through the batch's index, the card numbers opened at once (cheaper than the ORM's row
    # objects and the field's one-by-one opening, times 100,000).
    lines = sql.rows(
        "SELECT l.line_no, l.reference, l.amount_fen, m.agreement_no, m.card_number, m.holder_name"
        " FROM debit_debitline l JOIN debit_mandate m ON m.id = l.mandate_id WHERE l.batch_id = %s"
        " ORDER BY l.line_no",
        [batch.pk],
    )
    cards = decrypt_many((line[4] for line in lines), field="debit.Mandate.card_number")
    return DebitFile(
        batch_no=batch.number,
        created_on=batch.created_at.date(),
        collection_date=batch.collection_on,
        creditor_name=creditor.creditor_name or creditor.bank_name or "-",
        creditor_account=creditor.creditor_account or "0",
        creditor_id=creditor.creditor_id or "0",
        lines=tuple(
            FileLine(
                line_no=line_no,
                reference=reference,
                agreement_no=agreement_no,
                card_number=card_number,
                holder_name=holder_name,
                amount_fen=amount_fen,
                memo=memo,
            )
            for (line_no, reference, amount_fen, agreement_no, _sealed, holder_name), card_number in zip(
                lines, cards, strict=True
            )
        ),
    )


def batch_format(batch: DebitBatch):
    """The batch's bank format, with the community's own lines per file where it set one (banks
    differ in what they take; the format's own maximum otherwise)."""
    fmt = bankfiles.bank_format_get(batch.file_format)
    lines_per_file = DebitSettings.of(batch_community_id(batch)).lines_per_file
    if lines_per_file and isinstance(fmt, TextFormat) and fmt.max_lines is not None:
        fmt = dataclasses.replace(fmt, max_lines=lines_per_file)
    return fmt


def batch_files(batch: DebitBatch) -> list[tuple[str, bytes]]:
    """[(file name, bytes)] to send the bank; BankFileError (naming the line and the character or
    field) when a line cannot be written in the bank's format."""
    return bankfiles.debit_files_write(batch_format(batch), batch_debit_file(batch))


def batch_files_downloaded(*, batch: DebitBatch, files: list[tuple[str, bytes]], actor=None) -> None:
    """Record that a person took the batch's files (``batch_files``) away. They carry whole card
    numbers, so every download is in the audit log, with the digest to tell later which bytes left."""
    log_action(
        "debit.batch.downloaded",
        actor=actor,
        obj=batch,
        community_id=batch_community_id(batch),
        changes={"files": [name for name, _content in files], "sha256": files_digest(files)},
    )


def files_zip(files: list[tuple[str, bytes]], *, batch: DebitBatch) -> bytes:
    """The parts of a split batch in one zip. Every entry is dated the batch's creation day, so the
    same files always give the same zip, byte for byte."""
    created = batch.created_at.date()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in files:
            entry = zipfile.ZipInfo(name, date_time=(created.year, created.month, created.day, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, content)
    return buffer.getvalue()


def files_digest(files: list[tuple[str, bytes]]) -> str:
    """One digest of a batch's files, names included (stored when the batch is sent)."""
    digest = hashlib.sha256()
    for name, content in files:
        digest.update(name.encode() + b"\0" + content)
    return digest.hexdigest()


def result_read(batch: DebitBatch, data: bytes, *, file_name: str | None = None):
    """The bank's result file for ``batch`` read in its format (BankFileError when it is not one)."""
    return bankfiles.result_file_read(batch_format(batch), data, file_name=file_name)


def returns_read(batch: DebitBatch, data: bytes, *, file_name: str | None = None):
    return bankfiles.returns_read(batch_format(batch), data, file_name=file_name)
