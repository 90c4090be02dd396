"""Chinese fonts for PDFs: where they come from, and how fpdf2 gets them quickly.

The fonts are Noto Serif SC (宋体-like, body text) and Noto Sans SC (黑体-like, headlines), SIL OFL 1.1,
shipped by the PyPI package `pylopdf-fonts-zh-cn` that requirements.txt pins: nothing is downloaded at
run time. The setting `PDF_FONT_PATH` (a TTF/OTF file) replaces both, for a site with its own fonts.

Speed. The packaged fonts hold about 31,000 CFF glyphs; parsing one costs fpdf2 about 0.2 s and
subsetting it into a PDF about 0.2 s more. Two things bring a letter under 0.1 s:

- a *prepared* copy of each packaged font: reduced to GB 2312 (6,763 汉字) plus Latin, punctuation and
  symbols, without layout tables, and converted to TrueType outlines (fontTools subsets those about
  twice as fast as CFF; the quadratic curves stay within 1/1000 em of the originals). It is built once,
  in about 30 s, by ``python -m wagewatch.documents.fonts`` (the Makefile runs it after installing
  requirements) into ``<venv>/share/wagewatch/fonts``. A document whose text has a character outside
  it (a rare character in a name) is drawn with the full font;
- the parsed metrics of each font file are kept per process; each document gets a fresh copy of the
  font's tables to subset (fpdf2 subsets in place), see `font_register`.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import logging
import os
import sys
import threading
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

FONT_KINDS = ("serif", "sans")

# Bump when the character set or the reduction options change: the prepared files get new names.
PREPARED_VERSION = "gb2312-ttf-v3"


class ChineseFontMissing(ImproperlyConfigured):
    """No usable Chinese font: PDFs cannot be produced."""


def _setting_font_path() -> str | None:
    from django.conf import settings

    try:
        value = getattr(settings, "PDF_FONT_PATH", None)
    except ImproperlyConfigured:  # no Django settings at all (the command line `prepare`)
        return None
    return str(value) if value else None


def _packaged_font_path(kind: str) -> Path | None:
    try:
        import pylopdf_fonts_zh_cn as packaged
    except ImportError:
        return None
    path = Path(packaged.serif_path() if kind == "serif" else packaged.sans_path())
    return path if path.is_file() else None


def chinese_font_path(kind: str = "serif") -> Path:
    """The font file for `kind` ("serif": 宋体-like body text; "sans": 黑体-like headlines).

    `settings.PDF_FONT_PATH`, read at each call, wins for both kinds; otherwise the packaged Noto font.
    Raises `ChineseFontMissing` (a Chinese message saying what to install or set) when there is none.
    """
    if kind not in FONT_KINDS:
        raise ValueError(f"unknown font kind {kind!r}; expected one of {FONT_KINDS}")
    configured = _setting_font_path()
    if configured:
        path = Path(configured)
        if not path.is_file():
            raise ChineseFontMissing(
                f"找不到 PDF 中文字体文件:{configured}。请检查设置 PDF_FONT_PATH 是否指向一个存在的 TTF/OTF 字体文件。"
            )
        return path
    path = _packaged_font_path(kind)
    if path is None:
        raise ChineseFontMissing(
            "找不到 PDF 中文字体:请安装 requirements.txt 中的 pylopdf-fonts-zh-cn(运行 make install),"
            "或在设置 PDF_FONT_PATH 中指定一个中文 TTF/OTF 字体文件。"
        )
    return path


# --- prepared (reduced) fonts --------------------------------------------------------------------


def prepared_fonts_dir() -> Path:
    """Where `fonts_prepare` writes the reduced fonts: inside the environment that holds the sources."""
    return Path(sys.prefix) / "share" / "wagewatch" / "fonts"


def _source_tag(source: Path) -> str:
    stat = source.stat()
    digest = hashlib.sha256(f"{source.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()
    return digest[:12]


def prepared_font_path(source: Path) -> Path:
    """The file name the reduced copy of `source` has (whether or not it was built)."""
    return prepared_fonts_dir() / f"{source.stem}.{PREPARED_VERSION}.{_source_tag(source)}.ttf"


def prepared_codepoints() -> set[int]:
    """GB 2312 (every 汉字 and symbol) plus Latin, general punctuation, arrows, shapes and full-width forms."""
    codepoints = set(range(0x20, 0x7F)) | set(range(0xA0, 0x180))
    for first, last in ((0x2000, 0x206F), (0x2100, 0x2BFF), (0x3000, 0x303F), (0xFF00, 0xFFEF)):
        codepoints |= set(range(first, last + 1))
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                codepoints.add(ord(bytes((high, low)).decode("gb2312")))
            except UnicodeDecodeError:
                continue
    return codepoints


def _reduce_font(source: Path, target: Path) -> None:
    from fontTools import subset, ttLib

    options = subset.Options()
    options.desubroutinize = True
    options.layout_features = []
    options.drop_tables += ["GSUB", "GPOS", "GDEF", "BASE", "JSTF", "vhea", "vmtx", "VORG", "DSIG"]
    options.notdef_outline = True
    options.name_IDs = ["*"]
    options.name_languages = ["*"]
    font = ttLib.TTFont(source)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=prepared_codepoints())
    subsetter.subset(font)
    if "CFF " in font:
        _cff_to_truetype(font)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + f".{os.getpid()}.part")
    font.save(partial)
    os.replace(partial, target)  # atomic: a reader never sees half a font


def _cff_to_truetype(font) -> None:
    """Replace the CFF outlines of `font` by TrueType ones (cubic curves approximated by quadratic ones
    within 1 font unit), as fontTools' own otf2ttf example does."""
    from fontTools.pens.cu2quPen import Cu2QuPen
    from fontTools.pens.ttGlyphPen import TTGlyphPen
    from fontTools.ttLib import newTable

    order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyphs = {}
    for name in order:
        pen = TTGlyphPen(None)
        glyph_set[name].draw(Cu2QuPen(pen, max_err=1.0, reverse_direction=True))
        glyphs[name] = pen.glyph()
    font["loca"] = newTable("loca")
    glyf = font["glyf"] = newTable("glyf")
    glyf.glyphOrder = order
    glyf.glyphs = glyphs
    del font["CFF "]
    hmtx = font["hmtx"]
    for name, glyph in glyphs.items():
        glyph.recalcBounds(glyf)
        hmtx[name] = (hmtx[name][0], getattr(glyph, "xMin", 0))
    maxp = font["maxp"] = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.maxZones = 1
    for field in ("maxTwilightPoints", "maxStorage", "maxFunctionDefs", "maxInstructionDefs", "maxStackElements",
                  "maxSizeOfInstructions", "maxComponentElements"):
        setattr(maxp, field, 0)
    maxp.numGlyphs = len(order)
    # Glyph names stay in the post table (deriving them from the cmap, post format 3, is slower for
    # fontTools); one Unicode cmap subtable is enough, every code point being in the BMP.
    post = font["post"]
    post.formatType = 2.0
    post.extraNames = []
    post.mapping = {}
    post.glyphOrder = order
    cmap = font["cmap"]
    cmap.tables = [table for table in cmap.tables if (table.platformID, table.platEncID) == (3, 1)] or cmap.tables
    font["head"].glyphDataFormat = 0
    font.sfntVersion = "\000\001\000\000"


def fonts_prepare(*, force: bool = False) -> list[Path]:
    """Build the reduced copies of the packaged fonts (about 20 s, once per install). Returns their paths."""
    built = []
    for kind in FONT_KINDS:
        source = _packaged_font_path(kind)
        if source is None:
            raise ChineseFontMissing("找不到 PDF 中文字体:请先安装 requirements.txt 中的 pylopdf-fonts-zh-cn。")
        target = prepared_font_path(source)
        if force or not target.is_file():
            _reduce_font(source, target)
        for stale in target.parent.glob(f"{source.stem}.gb2312-*"):
            if stale != target:  # from an older package or character set
                stale.unlink(missing_ok=True)
        built.append(target)
    return built


# --- registering a font with an FPDF document -----------------------------------------------------


@dataclass
class _Template:
    font: object  # fpdf.fonts.TTFFont, parsed once per process
    data: bytes  # the file's bytes; each document parses its own lazy copy of the tables


_templates: dict[tuple[str, int], _Template] = {}
_templates_lock = threading.Lock()


def _template(path: Path) -> _Template:
    key = (str(path), path.stat().st_mtime_ns)
    template = _templates.get(key)
    if template is None:
        with _templates_lock:
            template = _templates.get(key)
            if template is None:
                from fpdf import FPDF

                scratch = FPDF()
                scratch.add_font("template", "", str(path))
                template = _Template(font=scratch.fonts["template"], data=path.read_bytes())
                _templates[key] = template
    return template


def _quiet_font_tools() -> None:
    # fontTools' subsetter logs every glyph list at INFO; under the site's INFO root logger that is
    # pages of noise per PDF (and slows it down).
    for name in ("fontTools.subset", "fontTools.ttLib", "fontTools.cffLib"):
        font_logger = logging.getLogger(name)
        if font_logger.level < logging.WARNING:
            font_logger.setLevel(logging.WARNING)


def font_register(pdf, family: str, path: Path) -> None:
    """Add the font file at `path` to `pdf` as `family` (style ""), reusing this process's parsed copy.

    fpdf2 (pinned at 2.8.9) parses the whole font in `add_font` and subsets `font.ttfont` in place when
    the PDF is written, so a parsed font cannot be shared as it is. The per-process template keeps the
    metrics (the costly part); each document gets a shallow copy with its own lazily read tables and its
    own glyph subset. If fpdf2's font object ever lacks the attributes this relies on, it falls back to
    a plain `add_font`.
    """
    from fontTools import ttLib
    from fpdf.fonts import SubsetMap

    _quiet_font_tools()
    template = _template(path)
    font = copy.copy(template.font)
    try:
        font.i = len(pdf.fonts) + 1
        font.fontkey = family
        font.biggest_size_pt = 0
        font.missing_glyphs = []
        font._hbfont = None
        font.ttfont = ttLib.TTFont(BytesIO(template.data), lazy=True, recalcTimestamp=False, recalcBBoxes=False)
        font.subset = SubsetMap(font)
    except AttributeError:  # pragma: no cover - only if fpdf2's internals change
        logger.warning("fpdf2 font internals changed: falling back to add_font (slower)")
        pdf.add_font(family, "", str(path))
        return
    pdf.fonts[family] = font
    if font.is_cff and font.is_cid_keyed:
        pdf._set_min_pdf_version("1.6")


def font_missing_glyphs(pdf) -> list[int]:
    """Code points drawn so far in `pdf` that its fonts have no glyph for."""
    missing: list[int] = []
    for font in pdf.fonts.values():
        missing.extend(getattr(font, "missing_glyphs", ()))
    return missing


def document_font_path(kind: str, *, prepared: bool) -> Path:
    """The file to draw a document with: the prepared copy when asked for and built, else the full font."""
    source = chinese_font_path(kind)
    if prepared and _setting_font_path() is None:
        reduced = prepared_font_path(source)
        if reduced.is_file():
            return reduced
    return source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="准备 PDF 用的精简中文字体(GB 2312 字符集),加快 PDF 生成")
    parser.add_argument("command", choices=["prepare"], nargs="?", default="prepare")
    parser.add_argument("--force", action="store_true", help="已存在也重新生成")
    args = parser.parse_args(argv)
    for path in fonts_prepare(force=args.force):
        print(f"精简字体:{path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
