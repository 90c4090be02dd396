import hashlib
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from PIL import Image

from wagewatch.documents.uploads import MESSAGE_EMPTY, MESSAGE_TYPE, evidence_validate, sniff


def image_bytes(fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format=fmt)
    return buffer.getvalue()


def pdf_bytes() -> bytes:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="pay slip")
    return bytes(pdf.output())


def heif_header(major: bytes, *compatible: bytes) -> bytes:
    brands = b"".join(compatible)
    box = (16 + len(brands)).to_bytes(4, "big") + b"ftyp" + major + b"\x00\x00\x00\x00" + brands
    return box + b"\x00\x00\x00\x08free" + b"\x00" * 200


def upload(content: bytes, name: str, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def refused(uploaded) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        evidence_validate(uploaded)
    return caught.value


@pytest.mark.parametrize(
    ("content", "name", "content_type", "extension"),
    [
        (image_bytes("JPEG"), "欠条.jpg", "image/jpeg", "jpg"),
        (image_bytes("PNG"), "聊天记录.png", "image/png", "png"),
        (image_bytes("WEBP"), "工资条.webp", "image/webp", "webp"),
        (pdf_bytes(), "工资表.pdf", "application/pdf", "pdf"),
        (heif_header(b"heic", b"mif1", b"heic"), "IMG_0001.HEIC", "image/heic", "heic"),
        (heif_header(b"mif1", b"mif1", b"heic"), "photo.heic", "image/heic", "heic"),
        (heif_header(b"mif1", b"mif1"), "photo.heif", "image/heif", "heif"),
    ],
)
def test_accepted_formats_by_content(content, name, content_type, extension):
    info = evidence_validate(upload(content, name))
    assert (info.content_type, info.extension) == (content_type, extension)
    assert info.size == len(content)
    assert info.sha256 == hashlib.sha256(content).hexdigest()


def test_type_comes_from_the_content_not_the_name_or_the_browser():
    # A real PNG called .jpg and declared as JPEG is a PNG.
    info = evidence_validate(upload(image_bytes("PNG"), "photo.jpg", "image/jpeg"))
    assert (info.content_type, info.extension) == ("image/png", "png")


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200, "工资条.jpg", "image/jpeg"),
        (b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>" * 3, "工资表.pdf", "application/pdf"),
        (b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + b"\x00" * 200, "证据.png", "image/png"),
        (b"GIF89a\x01\x00\x01\x00" + b"\x00" * 100, "动图.gif", "image/gif"),
        (heif_header(b"avif", b"mif1", b"avif"), "photo.avif", "image/avif"),
        (b"  %PDF-1.7 not at the start" + b"\x00" * 100, "x.pdf", "application/pdf"),
        (b"\xff\xd8", "short.jpg", "image/jpeg"),
    ],
)
def test_other_content_is_refused_whatever_the_name(content, name, content_type):
    error = refused(upload(content, name, content_type))
    assert error.messages == [MESSAGE_TYPE]
    assert error.code == "evidence_type"


def test_empty_file_is_refused():
    error = refused(upload(b"", "空.jpg", "image/jpeg"))
    assert error.messages == [MESSAGE_EMPTY] == ["文件为空"]


def test_oversize_file_is_refused_with_the_limit_in_the_message(settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    content = image_bytes("PNG") + b"\x00" * (1024 * 1024)
    error = refused(upload(content, "big.png", "image/png"))
    assert error.messages == ["文件过大:不能超过 1 MB"]
    assert error.code == "evidence_too_large"


def test_default_limit_is_ten_megabytes(settings):
    if hasattr(settings, "EVIDENCE_MAX_BYTES"):
        del settings.EVIDENCE_MAX_BYTES
    content = b"\xff\xd8\xff\xe0" + b"\x00" * (10 * 1024 * 1024)
    assert refused(upload(content, "big.jpg")).messages == ["文件过大:不能超过 10 MB"]
    exactly = b"\xff\xd8\xff\xe0" + b"\x00" * (10 * 1024 * 1024 - 4)
    assert evidence_validate(upload(exactly, "ok.jpg")).size == 10 * 1024 * 1024


def test_limit_is_read_at_call_time(settings):
    content = image_bytes("PNG")
    settings.EVIDENCE_MAX_BYTES = len(content)
    assert evidence_validate(upload(content, "a.png")).size == len(content)
    settings.EVIDENCE_MAX_BYTES = len(content) - 1
    refused(upload(content, "a.png"))


def test_a_file_object_that_lies_about_its_size_is_still_measured(settings):
    settings.EVIDENCE_MAX_BYTES = 2048

    class Lying(io.BytesIO):
        size = 10

    error = refused(Lying(image_bytes("PNG") + b"\x00" * 4096))
    assert error.code == "evidence_too_large"


def test_plain_file_objects_and_temporary_uploads_work_and_are_left_at_the_start():
    content = pdf_bytes()
    handle = io.BytesIO(content)
    handle.seek(5)
    assert evidence_validate(handle).content_type == "application/pdf"
    assert handle.tell() == 0

    temporary = TemporaryUploadedFile("证据.pdf", "application/pdf", len(content), None)
    try:
        temporary.write(content)
        temporary.flush()
        info = evidence_validate(temporary)
        assert info.size == len(content)
        assert temporary.read() == content  # the caller can save it as it is
    finally:
        temporary.close()


def test_sniff_needs_no_more_than_the_first_bytes():
    assert sniff(image_bytes("JPEG")[:16]) == ("image/jpeg", "jpg")
    assert sniff(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None  # RIFF, but audio
    assert sniff(b"") is None
