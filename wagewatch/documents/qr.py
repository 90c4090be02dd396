"""QR codes for the worker's complaint form and tracking page: inline SVG for web pages, vectors in PDFs."""

from __future__ import annotations

import segno
from fpdf.drawing import PaintedPath

# M (15 % of the code can be lost) survives a poster that is creased, dirty or partly in shade.
ERROR_LEVEL = "m"
QUIET_ZONE = 4  # modules of white around the code, as the standard asks


def qr_make(url: str) -> segno.QRCode:
    """The QR code of `url` (never a Micro QR: phones do not all read those)."""
    if not url:
        raise ValueError("QR code needs a URL")
    return segno.make(url, error=ERROR_LEVEL, micro=False)


def qr_matrix(url: str) -> list[list[bool]]:
    """Rows of modules without the quiet zone, True for dark."""
    return [[bool(module) for module in row] for row in qr_make(url).matrix]


def qr_runs(matrix: list[list[bool]]) -> list[tuple[int, int, int]]:
    """Horizontal runs of dark modules as (row, first column, length): one rectangle each in a PDF."""
    runs = []
    for row_index, row in enumerate(matrix):
        column = 0
        while column < len(row):
            if row[column]:
                start = column
                while column < len(row) and row[column]:
                    column += 1
                runs.append((row_index, start, column - start))
            else:
                column += 1
    return runs


def qr_svg(url: str, *, scale: int = 4, title: str = "扫码打开") -> str:
    """Inline `<svg>` of the QR code of `url` (no XML declaration), for a web page.

    The SVG has a viewBox and no fixed size (CSS sizes it: `.qr svg { width: 12rem; height: auto }`),
    a white quiet zone, and a `<title>` for screen readers.
    """
    return qr_make(url).svg_inline(
        scale=scale,
        border=QUIET_ZONE,
        dark="#000",
        light="#fff",
        omitsize=True,
        title=title,
        svgclass="qr-code",
        lineclass=None,
    )


def qr_draw(pdf, url: str, *, x: float, y: float, size: float) -> None:
    """Draw the QR code of `url` as filled vector rectangles in a `size`-mm square at (x, y), quiet zone
    included (white background), so it prints sharp at any size."""
    matrix = qr_matrix(url)
    modules = len(matrix) + 2 * QUIET_ZONE
    unit = size / modules
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    origin_x = x + QUIET_ZONE * unit
    origin_y = y + QUIET_ZONE * unit
    # One path filled once: viewers then draw no hairline seams between touching modules, as they do
    # when every rectangle is anti-aliased on its own.
    path = PaintedPath()
    path.style.fill_color = "#000000"
    path.style.stroke_color = None
    path.style.paint_rule = "FILL_NONZERO"
    for row, start, length in qr_runs(matrix):
        path.rectangle(origin_x + start * unit, origin_y + row * unit, length * unit, unit)
    pdf.draw_path(path, copy=False)  # built here and never touched again: no need for fpdf2's deep copy
