import re

import pytest
import segno

from wagewatch.documents.pdf import commitment_letter_pdf, qr_poster_pdf
from wagewatch.documents.qr import qr_matrix, qr_runs, qr_svg
from wagewatch.documents.tests.helpers import make_letter, make_poster, pdf_render

URL = "https://wagewatch.example.gov.cn/w/c/P-000123"


def decode_all(png_path) -> list[str]:
    zxingcpp = pytest.importorskip("zxingcpp")
    from PIL import Image

    with Image.open(png_path) as image:
        return [result.text for result in zxingcpp.read_barcodes(image.convert("L"))]


def test_runs_redraw_exactly_the_segno_matrix():
    matrix = qr_matrix(URL)
    expected = [[bool(module) for module in row] for row in segno.make(URL, error="m", micro=False).matrix]
    assert matrix == expected
    redrawn = [[False] * len(row) for row in matrix]
    for row, start, length in qr_runs(matrix):
        assert length > 0
        for column in range(start, start + length):
            assert not redrawn[row][column], "runs overlap"
            redrawn[row][column] = True
    assert redrawn == matrix


def test_svg_is_inline_and_scalable():
    svg = qr_svg(URL)
    assert svg.startswith("<svg") and "<?xml" not in svg
    assert 'viewBox="' in svg and 'width="' not in svg.split(">", 1)[0]
    assert "<title>" in svg and 'class="qr-code"' in svg
    size = len(qr_matrix(URL)) + 8
    assert re.search(rf'viewBox="0 0 {size * 4} {size * 4}"', svg)


def test_svg_decodes_to_the_url(tmp_path):
    pytest.importorskip("zxingcpp")
    png = tmp_path / "qr.png"
    segno.make(URL, error="m", micro=False).save(png, scale=4)  # the same code qr_svg draws
    assert qr_svg(URL) == segno.make(URL, error="m", micro=False).svg_inline(
        scale=4, border=4, dark="#000", light="#fff", omitsize=True, title="扫码打开", svgclass="qr-code", lineclass=None)
    assert decode_all(png) == [URL]


def test_poster_qr_decodes_to_its_url(tmp_path):
    pages = pdf_render(qr_poster_pdf(make_poster(url=URL)), tmp_path, dpi=100)
    assert decode_all(pages[0]) == [URL]


def test_general_poster_qr_decodes_to_its_url(tmp_path):
    url = "https://wagewatch.example.gov.cn/w/c"
    pages = pdf_render(qr_poster_pdf(make_poster(url=url, project_name="")), tmp_path, dpi=100)
    assert decode_all(pages[0]) == [url]


def test_letter_qr_opens_the_tracking_page(tmp_path):
    url = "https://wagewatch.example.gov.cn/w/track?case=QX-2026-000123"
    pages = pdf_render(commitment_letter_pdf(make_letter(track_url=url)), tmp_path, dpi=150)
    assert decode_all(pages[0]) == [url]


def test_empty_url_is_refused():
    with pytest.raises(ValueError):
        qr_svg("")
