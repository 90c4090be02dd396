"""Evidence files from workers and staff: photos and PDFs, checked by what they contain.

The file name and the content type the browser sends are the uploader's word; the first bytes are
not. A short sniffer for the five accepted formats beats a general-purpose library here: it knows
exactly what is allowed and refuses everything else (executables, HTML, archives, AVIF, ...).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.exceptions import ValidationError

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
HEAD_BYTES = 64

MESSAGE_TYPE = "文件类型不支持:只能上传照片(JPG/PNG/WebP/HEIC)或 PDF"
MESSAGE_EMPTY = "文件为空"

# ISO base media file brands of HEIF still images (HEIC is HEIF with HEVC-coded images).
_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}


@dataclass(frozen=True)
class EvidenceInfo:
    """What an accepted evidence file is.

    Fields:
        content_type: the MIME type found in the content ("image/jpeg", "image/png", "image/webp",
            "image/heic", "image/heif", "application/pdf"); store and serve this one, not the client's.
        extension: the matching file extension without the dot ("jpg", "png", "webp", "heic", "heif", "pdf").
        size: bytes actually read.
        sha256: hex digest of the whole content (to spot the same file uploaded twice, and to prove later
            that a stored file is the one received).
    """

    content_type: str
    extension: str
    size: int
    sha256: str


def sniff(head: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an accepted format from the first bytes, or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg", "jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png", "png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", "webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf", "pdf"
    if len(head) >= 16 and head[4:8] == b"ftyp":
        return _sniff_heif(head)
    return None


def _sniff_heif(head: bytes) -> tuple[str, str] | None:
    box_size = int.from_bytes(head[0:4], "big")
    major = head[8:12]
    # Compatible brands follow the minor version, up to the end of the ftyp box (or of what we read).
    end = min(box_size, len(head)) if box_size >= 16 else len(head)
    compatible = {head[offset : offset + 4] for offset in range(16, end - 3, 4)}
    brands = {major} | compatible
    if major in _AVIF_BRANDS or (major in _HEIF_BRANDS and brands & _AVIF_BRANDS and not brands & _HEIC_BRANDS):
        return None  # AVIF is not on the list
    if major in _HEIC_BRANDS or (major in _HEIF_BRANDS and brands & _HEIC_BRANDS):
        return "image/heic", "heic"
    if major in _HEIF_BRANDS:
        return "image/heif", "heif"
    return None


def evidence_max_bytes() -> int:
    """`settings.EVIDENCE_MAX_BYTES`, read at each call (10 MiB when unset)."""
    from django.conf import settings

    value = getattr(settings, "EVIDENCE_MAX_BYTES", None)
    return int(value) if value else DEFAULT_MAX_BYTES


def _size_text(limit: int) -> str:
    megabytes = limit / (1024 * 1024)
    if megabytes >= 1:
        return f"{megabytes:g} MB" if megabytes == int(megabytes) else f"{megabytes:.1f} MB"
    return f"{max(1, limit // 1024)} KB"


def _too_large(limit: int) -> ValidationError:
    return ValidationError(f"文件过大:不能超过 {_size_text(limit)}", code="evidence_too_large")


def _chunks(uploaded_file):
    chunks = getattr(uploaded_file, "chunks", None)
    if chunks is not None:
        yield from chunks()  # Django File: seeks to the start itself
        return
    if hasattr(uploaded_file, "seek"):
        uploaded_file.seek(0)
    while True:
        block = uploaded_file.read(64 * 1024)
        if not block:
            return
        yield block


def evidence_validate(uploaded_file) -> EvidenceInfo:
    """Check an uploaded evidence file (a Django `UploadedFile`, or any binary file object) and describe it.

    Refuses, with a `ValidationError` in Chinese, an empty file, a file over `EVIDENCE_MAX_BYTES`, and
    anything whose content is not JPEG, PNG, WebP, HEIC/HEIF or PDF, whatever its name or declared type.
    The content is read once in chunks (never whole into memory) for the SHA-256; the file is left at
    its start so it can be saved afterwards.
    """
    limit = evidence_max_bytes()
    declared = getattr(uploaded_file, "size", None)
    if declared == 0:
        raise ValidationError(MESSAGE_EMPTY, code="evidence_empty")
    if declared is not None and declared > limit:
        raise _too_large(limit)

    digest = hashlib.sha256()
    head = b""
    size = 0
    for block in _chunks(uploaded_file):
        if len(head) < HEAD_BYTES:
            head += block[: HEAD_BYTES - len(head)]
            if size == 0 and len(head) >= HEAD_BYTES and sniff(head) is None:
                _rewind(uploaded_file)
                raise ValidationError(MESSAGE_TYPE, code="evidence_type")
        size += len(block)
        if size > limit:  # the declared size was missing or wrong
            _rewind(uploaded_file)
            raise _too_large(limit)
        digest.update(block)
    _rewind(uploaded_file)

    if size == 0:
        raise ValidationError(MESSAGE_EMPTY, code="evidence_empty")
    kind = sniff(head)
    if kind is None:
        raise ValidationError(MESSAGE_TYPE, code="evidence_type")
    content_type, extension = kind
    return EvidenceInfo(content_type=content_type, extension=extension, size=size, sha256=digest.hexdigest())


def _rewind(uploaded_file) -> None:
    if hasattr(uploaded_file, "seek"):
        try:
            uploaded_file.seek(0)
        except (OSError, ValueError):
            pass
