"""A small layer over fpdf2 for Chinese official documents: fonts, wrapping with Chinese line-breaking
rules (no line starts with "，。" and the like), paragraphs, form tables that split across pages, seals.

Page set-up follows GB/T 9704 (党政机关公文格式) loosely: A4, wide left margin for binding, title centred
in a heavy 宋体-like face, body in 宋体-like text, headings in 黑体-like text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

from fpdf import FPDF

from .fonts import chinese_font_path, document_font_path, font_missing_glyphs, font_register
from .formatting import fullwidth

PAGE_WIDTH = 210.0
PAGE_HEIGHT = 297.0
MARGIN_LEFT = 28.0
MARGIN_RIGHT = 26.0
MARGIN_TOP = 22.0
MARGIN_BOTTOM = 20.0
PT = 25.4 / 72  # one point in mm

BLACK = (0, 0, 0)
RED = (200, 16, 16)  # 公文红
GREY = (110, 110, 110)
LABEL_FILL = (242, 242, 242)
SEAL_TEXT = fullwidth("(盖章)")

# 避头尾: characters that must not start a line (they hang at the end of the previous one instead)
# and characters that must not end one.
NO_LINE_START = set("，。、；：？！）》」』】〕〉”’…—～,.;:?!)]}%·")
NO_LINE_END = set("（《「『【〔〈“‘([{")
# Runs kept whole when they fit on a line: Latin words, numbers with separators, URLs.
_TOKEN = re.compile(r"[A-Za-z0-9@#%&*+\-=_/.:,;!?'\"()\[\]{}<>~`$^|\\]+|\s|.", re.DOTALL)


class Writer:
    """One PDF being drawn. `prepared=True` draws with the reduced fonts (see fonts.py)."""

    def __init__(self, *, title: str, author: str, prepared: bool = True):
        self.prepared = prepared
        pdf = FPDF(orientation="P", unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.set_margins(MARGIN_LEFT, MARGIN_TOP, MARGIN_RIGHT)
        pdf.c_margin = 0
        pdf.set_title(title)
        pdf.set_author(author)
        pdf.set_creator("wagewatch 根治欠薪智慧监管平台")
        pdf.set_lang("zh-CN")
        pdf.add_page()
        self.pdf = pdf
        self._families: dict[str, str] = {}
        self._family_of_path: dict[Path, str] = {}
        self._widths: dict[tuple[str, float, str], float] = {}
        self.used_prepared = False
        self.size = 12.0
        self.kind = "serif"
        self.bold = False
        self.color = BLACK

    # --- fonts -----------------------------------------------------------------------------------

    @property
    def width(self) -> float:
        return PAGE_WIDTH - MARGIN_LEFT - MARGIN_RIGHT

    @property
    def bottom(self) -> float:
        return PAGE_HEIGHT - MARGIN_BOTTOM

    def font(self, kind: str = "serif", size: float = 12.0, *, bold: bool = False, color=BLACK) -> None:
        """Select a face: "serif" (宋体-like) or "sans" (黑体-like); bold is drawn by stroking the outline
        (the packaged fonts have one weight), which is how 小标宋-like titles get their weight."""
        family = self._families.get(kind)
        if family is None:
            path = document_font_path(kind, prepared=self.prepared)
            self.used_prepared |= path != chinese_font_path(kind)
            # One file is registered once (PDF_FONT_PATH serves both kinds): fpdf2 cannot embed a
            # file twice under two names.
            family = self._family_of_path.get(path)
            if family is None:
                family = kind
                font_register(self.pdf, family, path)
                self._family_of_path[path] = family
            self._families[kind] = family
        self.pdf.set_font(family, size=size)
        self.pdf.set_text_color(*color)
        self.kind, self.size, self.bold, self.color = kind, size, bold, color

    def cell(self, width: float, height: float, text: str, *, align: str = "L", next_line: bool = False) -> None:
        """Draw one line of text in a box at the current position (every text goes through here, so
        bold is applied the same way: outline stroking inside its own graphics state)."""
        moves = {"new_x": "LMARGIN", "new_y": "NEXT"} if next_line else {}
        if self.bold:
            with self.pdf.local_context(text_mode="FILL_STROKE", line_width=self.size * 0.012, draw_color=self.color):
                self.pdf.cell(width, height, text, align=align, **moves)
        else:
            self.pdf.cell(width, height, text, align=align, **moves)

    @contextmanager
    def style(self, kind: str = "serif", size: float | None = None, *, bold: bool = False, color=BLACK):
        saved = (self.kind, self.size, self.bold, self.color)
        self.font(kind, self.size if size is None else size, bold=bold, color=color)
        try:
            yield
        finally:
            kind, size, bold, color = saved
            self.font(kind, size, bold=bold, color=color)

    def line_height(self, factor: float = 1.6) -> float:
        return self.size * PT * factor

    def text_width(self, text: str) -> float:
        return self.pdf.get_string_width(text)

    # --- wrapping --------------------------------------------------------------------------------

    def wrap(self, text: str, width: float, *, first_indent: float = 0.0) -> list[str]:
        """Lines of `text` that fit `width` mm in the current font; "\\n" starts a new line.

        Chinese characters break anywhere, Latin runs (words, numbers, URLs) only when longer than a
        line, and closing punctuation hangs at the end of a line rather than starting the next one."""
        lines: list[str] = []
        for paragraph in (text or "").split("\n"):
            lines.extend(self._wrap_paragraph(paragraph, width, first_indent if not lines else 0.0))
        return lines or [""]

    def _token_width(self, token: str) -> float:
        # Widths add up (no kerning or shaping with these fonts), so each token is measured once per font.
        key = (self.pdf.font_family, self.pdf.font_size_pt, token)
        width = self._widths.get(key)
        if width is None:
            width = self._widths[key] = self.text_width(token)
        return width

    def _wrap_paragraph(self, text: str, width: float, first_indent: float) -> list[str]:
        lines: list[str] = []
        current, current_width = "", 0.0
        available = width - first_indent

        def start_line(text: str = "") -> None:
            nonlocal current, current_width, available
            current, current_width, available = text, self.text_width(text) if text else 0.0, width

        tokens = _TOKEN.findall(text)
        index = 0
        while index < len(tokens):
            token = tokens[index]
            token_width = self._token_width(token)
            if current_width + token_width <= available + 0.01:
                current += token
                current_width += token_width
                index += 1
                continue
            if token.isspace():
                lines.append(current.rstrip())
                start_line()
                index += 1
                continue
            if token[0] in NO_LINE_START and len(current.rstrip()) > 1:
                # The punctuation may not start the next line: the character before it goes down
                # with it (the line ends a little short, never past the edge of a table cell).
                kept = current.rstrip()
                lines.append(kept[:-1])
                start_line(kept[-1])
                continue
            if not current or token_width > width:
                # A run longer than a whole line (a long URL): break it by characters.
                if len(token) > 1:
                    tokens[index : index + 1] = list(token)
                    continue
                if not current:
                    current, current_width = token, token_width
                    index += 1
                    continue
            # Do not leave an opening bracket at the end of the line.
            carry = ""
            while current and current[-1] in NO_LINE_END:
                carry = current[-1] + carry
                current = current[:-1]
            lines.append(current.rstrip())
            start_line(carry)
        if current or not lines:
            lines.append(current.rstrip())
        return lines

    # --- flow ------------------------------------------------------------------------------------

    def ensure_space(self, height: float) -> None:
        if self.pdf.get_y() + height > self.bottom:
            self.pdf.add_page()

    def gap(self, height: float) -> None:
        self.pdf.set_y(self.pdf.get_y() + height)

    def line(self, text: str, *, align: str = "L", height: float | None = None, x: float | None = None,
             width: float | None = None) -> None:
        height = height or self.line_height()
        self.ensure_space(height)
        self.pdf.set_x(MARGIN_LEFT if x is None else x)
        self.cell(width or self.width, height, text, align=align, next_line=True)

    def paragraph(self, text: str, *, indent_chars: float = 2, factor: float = 1.75, width: float | None = None,
                  x: float | None = None, align: str = "L") -> None:
        """A body paragraph: first line indented two characters, as Chinese prose is."""
        width = width or self.width
        x = MARGIN_LEFT if x is None else x
        indent = self.size * PT * indent_chars
        height = self.line_height(factor)
        for index, text_line in enumerate(self.wrap(text, width, first_indent=indent)):
            self.ensure_space(height)
            offset = indent if index == 0 else 0.0
            self.pdf.set_x(x + offset)
            self.cell(width - offset, height, text_line, align=align, next_line=True)

    def heading(self, text: str, *, size: float = 13) -> None:
        """A 黑体 heading ("一、…"), kept with at least two lines of what follows."""
        with self.style("sans", size):
            height = self.line_height(1.6)
            self.ensure_space(height * 2.5 + 1.0)
            if self.pdf.get_y() > MARGIN_TOP + 1:
                self.gap(1.0)
            self.line(text, height=height)

    def rule(self, *, color=BLACK, width: float = 0.3, gap: float = 0.0) -> None:
        y = self.pdf.get_y() + gap
        self.pdf.set_draw_color(*color)
        self.pdf.set_line_width(width)
        self.pdf.line(MARGIN_LEFT, y, PAGE_WIDTH - MARGIN_RIGHT, y)
        self.pdf.set_y(y + gap)

    # --- tables ----------------------------------------------------------------------------------

    def table_row(self, cells: list[tuple[str, float, bool]], *, size: float = 11.0, factor: float = 1.4,
                  pad: float = 1.3) -> None:
        """One row of a form table. `cells` are (text, width in mm, is_label); labels are shaded and
        centred. A row taller than what is left of the page continues on the next one."""
        pdf = self.pdf
        with self.style("serif", size):
            line_height = self.line_height(factor)
            inner = 2.2  # horizontal padding
            wrapped = []
            for text, width, is_label in cells:
                if is_label:
                    with self.style("sans", size):
                        wrapped.append(self.wrap(text, width - 2 * inner))
                else:
                    wrapped.append(self.wrap(text, width - 2 * inner))
            remaining = [list(lines) for lines in wrapped]
            first = True
            while any(remaining):
                needed = max(len(lines) for lines in remaining)
                available = int((self.bottom - pdf.get_y() - 2 * pad) // line_height)
                if available < min(needed, 2):
                    pdf.add_page()
                    continue
                take = min(needed, available)
                chunk = []
                for (_text, _width, is_label), lines in zip(cells, remaining, strict=True):
                    if is_label and not first:
                        chunk.append([fullwidth("(续)")] if lines == [] else lines[:take])
                    else:
                        chunk.append(lines[:take])
                for lines in remaining:
                    del lines[:take]
                self._draw_row(cells, chunk, line_height, pad, inner, size)
                first = False

    def _draw_row(self, cells, chunk, line_height: float, pad: float, inner: float, size: float) -> None:
        pdf = self.pdf
        rows = max(1, max(len(lines) for lines in chunk))
        height = rows * line_height + 2 * pad
        x, y = MARGIN_LEFT, pdf.get_y()
        pdf.set_line_width(0.3)
        pdf.set_draw_color(*BLACK)
        for (_text, width, is_label), lines in zip(cells, chunk, strict=True):
            if is_label:
                pdf.set_fill_color(*LABEL_FILL)
                pdf.rect(x, y, width, height, style="DF")
            else:
                pdf.rect(x, y, width, height, style="D")
            top = y + pad + (rows - len(lines)) * line_height / 2
            with self.style("sans" if is_label else "serif", size):
                for index, text_line in enumerate(lines):
                    pdf.set_xy(x + inner, top + index * line_height)
                    self.cell(width - 2 * inner, line_height, text_line, align="C" if is_label else "L")
            pdf.set_line_width(0.3)
            pdf.set_draw_color(*BLACK)
            x += width
        pdf.set_xy(MARGIN_LEFT, y + height)

    # --- seals, page numbers, output -------------------------------------------------------------

    def seal_placeholder(self, cx: float, cy: float, radius: float = 20.0) -> None:
        """A dashed circle where the round seal goes (over the signer's name and date, as seals are
        stamped), "(盖章)" in its lower part; the writing position is left where it was."""
        pdf = self.pdf
        x, y = pdf.get_x(), pdf.get_y()
        pdf.set_draw_color(*GREY)
        pdf.set_line_width(0.3)
        pdf.set_dash_pattern(dash=1.2, gap=1.2)
        pdf.circle(x=cx, y=cy, radius=radius, style="D")
        pdf.set_dash_pattern()
        with self.style("serif", 10, color=GREY):
            pdf.set_xy(cx - radius, cy + radius - 9)
            self.cell(2 * radius, 5, SEAL_TEXT, align="C")
        pdf.set_xy(x, y)

    def page_numbers(self) -> None:
        """"第 1 页 共 2 页" at the foot of every page, only when there is more than one."""
        pdf = self.pdf
        total = pdf.pages_count
        if total < 2:
            return
        last = pdf.page
        for number in range(1, total + 1):
            pdf.page = number
            with self.style("serif", 10, color=GREY):
                pdf.set_xy(MARGIN_LEFT, PAGE_HEIGHT - MARGIN_BOTTOM + 6)
                self.cell(self.width, 5, f"第 {number} 页  共 {total} 页", align="C")
        pdf.page = last

    def output(self) -> bytes:
        self.page_numbers()
        return bytes(self.pdf.output())


def render(build: Callable[[Writer], None], *, title: str, author: str) -> bytes:
    """Draw with the reduced fonts; if the text has a character they lack (a rare name), draw it again
    with the full fonts, so the document never shows an empty box where the full font has the glyph."""
    writer = Writer(title=title, author=author, prepared=True)
    build(writer)
    if writer.used_prepared and font_missing_glyphs(writer.pdf):
        writer = Writer(title=title, author=author, prepared=False)
        build(writer)
    return writer.output()


def joined(values: Iterable[str], separator: str = "、") -> str:
    return separator.join(value.strip() for value in values if value and value.strip())
