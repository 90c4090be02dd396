from pathlib import Path

import pytest

from wagewatch.documents import fonts
from wagewatch.documents.fonts import ChineseFontMissing, chinese_font_path, document_font_path, prepared_codepoints
from wagewatch.documents.pdf import commitment_letter_pdf
from wagewatch.documents.tests.helpers import flat, make_letter, pdf_fonts, pdf_text


def test_packaged_fonts_are_found(settings):
    settings.PDF_FONT_PATH = None
    serif, sans = chinese_font_path("serif"), chinese_font_path("sans")
    assert serif.is_file() and sans.is_file()
    assert "Serif" in serif.name and "Sans" in sans.name and serif != sans


def test_setting_overrides_both_kinds_and_is_read_at_call_time(settings):
    settings.PDF_FONT_PATH = None
    sans = chinese_font_path("sans")
    settings.PDF_FONT_PATH = str(sans)
    assert chinese_font_path("serif") == sans
    settings.PDF_FONT_PATH = None
    assert chinese_font_path("serif") != sans


def test_pdfs_use_the_configured_font(settings):
    settings.PDF_FONT_PATH = None
    sans = chinese_font_path("sans")
    settings.PDF_FONT_PATH = str(sans)
    data = commitment_letter_pdf(make_letter())
    names = {row[0] for row in pdf_fonts(data)}
    assert names and all("NotoSansSC" in name for name in names)
    assert "欠薪投诉受理承诺函" in flat(pdf_text(data))


def test_missing_configured_font_says_what_to_fix(settings, tmp_path):
    settings.PDF_FONT_PATH = str(tmp_path / "nowhere.ttf")
    with pytest.raises(ChineseFontMissing, match="PDF_FONT_PATH"):
        chinese_font_path()
    with pytest.raises(ChineseFontMissing, match="找不到 PDF 中文字体文件"):
        commitment_letter_pdf(make_letter())


def test_no_font_at_all_says_what_to_install(settings, monkeypatch):
    settings.PDF_FONT_PATH = None
    monkeypatch.setattr(fonts, "_packaged_font_path", lambda kind: None)
    with pytest.raises(ChineseFontMissing, match="pylopdf-fonts-zh-cn"):
        chinese_font_path()


def test_unknown_kind_is_a_programming_error():
    with pytest.raises(ValueError):
        chinese_font_path("kaiti")


def test_reduced_set_covers_gb2312_and_the_printed_symbols():
    codepoints = prepared_codepoints()
    for character in "欠薪投诉扫码维权承诺函转办单盖章暂定日历未发布→·—、。,:()0123456789ABCxyz元":
        assert ord(character) in codepoints, character
    assert ord("堃") not in codepoints  # outside GB 2312: such text is drawn with the full font
    assert 7000 < len(codepoints) < 12000


def test_prepared_font_is_used_only_when_built_and_not_overridden(settings, monkeypatch, tmp_path):
    settings.PDF_FONT_PATH = None
    full = chinese_font_path("serif")
    monkeypatch.setattr(fonts, "prepared_fonts_dir", lambda: tmp_path)
    assert document_font_path("serif", prepared=True) == full  # not built
    reduced = fonts.prepared_font_path(full)
    assert reduced.parent == tmp_path
    reduced.write_bytes(b"")
    assert document_font_path("serif", prepared=True) == reduced
    assert document_font_path("serif", prepared=False) == full
    settings.PDF_FONT_PATH = str(full)
    assert document_font_path("serif", prepared=True) == full


def test_prepared_font_name_changes_with_the_source(tmp_path):
    source = tmp_path / "Font.otf"
    source.write_bytes(b"one")
    first = fonts.prepared_font_path(source)
    source.write_bytes(b"two, longer")
    assert fonts.prepared_font_path(source) != first
    assert first.suffix == ".ttf" and Path(first).name.startswith("Font.gb2312-")
