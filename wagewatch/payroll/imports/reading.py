"""Files and JSON pushes into one shape: a polars DataFrame of text columns named by the English
keys of columns.py, plus `_row`, the number the report shows (the line in the file, header = 1;
for a JSON list, the position in the list counting from 0).

CSV: UTF-8 with or without BOM, or GB18030 (what Chinese Excel and WPS write, a superset of GBK);
comma or tab separated. XLSX: the first sheet. Polars reads CSV in bulk (no per-row Python);
an .xlsx goes through openpyxl's streaming reader.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from datetime import date, datetime, time
from decimal import Decimal

import polars as pl

from .columns import COLUMNS, header_key, map_headers

MAX_ROWS = 5_000_000


class FileProblem(Exception):
    """The file as a whole cannot be read (encoding, format, missing columns): nothing imported."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _decode_to_utf8(data: bytes) -> bytes:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:]
    try:
        data.decode("utf-8")
        return data
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030").encode("utf-8")
    except UnicodeDecodeError:
        raise FileProblem("无法识别文件编码:请在Excel中另存为“CSV UTF-8”或GBK编码的CSV后再导入") from None


def read_csv(data: bytes) -> pl.DataFrame:
    data = _decode_to_utf8(data)
    first_line = data.split(b"\n", 1)[0]
    separator = "\t" if b"\t" in first_line and b"," not in first_line else ","
    try:
        return pl.read_csv(io.BytesIO(data), infer_schema=False, separator=separator, has_header=True, raise_if_empty=False)
    except pl.exceptions.PolarsError:
        # Polars' message quotes the raw text of the bad row (names, ID and card numbers), and
        # the message goes into the job, its report and the history: say where, never what.
        raise FileProblem(
            "CSV文件格式不正确,无法读取:" + csv_problem_where(data.decode("utf-8", errors="replace"), separator)
            + "。请在Excel中打开后另存为CSV或.xlsx再上传"
        ) from None


def csv_problem_where(text: str, separator: str = ",") -> str:
    """Where a CSV breaks, in words with a line number and no cell content: an unclosed quote
    (which runs to the end of the file), a row with more columns than the header, a quote in
    the middle of a cell. Only called once reading has failed, so the scan's cost is paid then."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=separator, strict=True)
    start, width, stray = 1, None, None
    try:
        for row in reader:
            if width is None:
                width = len(row)
            elif len(row) > width:
                return f"第{start}行的列数({len(row)}列)比标题行({width}列)多,可能某个单元格里有未加引号的逗号"
            if stray is None and any('"' in cell for cell in row):
                stray = start
            start = reader.line_num + 1
    except csv.Error:
        return f"第{start}行有不成对的引号(引号从这一行开始,直到文件末尾都没有结束)"
    if stray is not None:
        return f"第{stray}行的单元格中间有引号,引号须成对并包住整个单元格"
    return "可能某一行的列数比标题行多,或引号不成对"


def _cell(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)


def read_xlsx(data: bytes | str) -> pl.DataFrame:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data) if isinstance(data, bytes) else data, read_only=True, data_only=True)
    except Exception:  # openpyxl raises many kinds for a damaged file
        raise FileProblem("无法读取该Excel文件:请确认是 .xlsx 格式且未损坏(旧版 .xls 请另存为 .xlsx)") from None
    try:
        rows = workbook.worksheets[0].iter_rows(values_only=True)
        header = next(rows, None)
        if header is None:
            return pl.DataFrame()
        names = [_cell(h) or f"_col{i}" for i, h in enumerate(header)]
        columns: list[list] = [[] for _ in names]
        for n, row in enumerate(rows):
            if n >= MAX_ROWS:
                raise FileProblem(f"文件超过{MAX_ROWS:,}行,请拆分后分批导入")
            for i in range(len(names)):
                columns[i].append(_cell(row[i]) if i < len(row) else None)
        # Same header text twice: keep both so that map_headers can say so.
        unique = []
        for i, name in enumerate(names):
            unique.append(name if name not in unique else f"{name}\u0000{i}")
        return pl.DataFrame({name: col for name, col in zip(unique, columns, strict=True)}, schema={n: pl.String for n in unique})
    finally:
        workbook.close()


def read_upload(data: bytes, filename: str) -> pl.DataFrame:
    name = (filename or "").lower()
    if data[:4] == b"PK\x03\x04" or name.endswith(".xlsx"):
        return read_xlsx(data)
    if data[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" or name.endswith(".xls"):
        raise FileProblem("不支持旧版 .xls 文件:请在Excel中“另存为”.xlsx 或 CSV 后再导入")
    return read_csv(data)


def rows_from_json(rows: list) -> pl.DataFrame:
    """A JSON list of objects (keys: English keys or Chinese headers) as text columns."""
    if not isinstance(rows, list):
        raise FileProblem("请求体应为JSON数组,每个元素是一条记录")
    names: dict[str, None] = {}
    for item in rows:
        if not isinstance(item, dict):
            raise FileProblem("数组的每个元素应为JSON对象(键为字段名)")
        for k in item:
            names.setdefault(str(k), None)
    data = {n: [_cell(item.get(n)) for item in rows] for n in names}
    return pl.DataFrame(data, schema={n: pl.String for n in names})


def canonical(kind: str, frame: pl.DataFrame, *, first_row: int) -> pl.DataFrame:
    """Rename the recognised columns to their keys, add missing optional ones as nulls, trim
    and NFKC-normalise text, drop wholly empty rows, number the rows (`_row`)."""
    headers = [name.split("\u0000")[0] for name in frame.columns]
    found, problems = map_headers(kind, headers)
    if problems:
        raise FileProblem(";".join(problems))
    if frame.height > MAX_ROWS:
        raise FileProblem(f"超过{MAX_ROWS:,}行,请拆分后分批导入")
    selected = [
        pl.col(frame.columns[i]).cast(pl.String).str.strip_chars().alias(key) for i, key in found.items()
    ]
    out = frame.select(selected).with_row_index("_row", offset=first_row)
    for column in COLUMNS[kind]:
        if column.key not in out.columns:
            out = out.with_columns(pl.lit(None, dtype=pl.String).alias(column.key))
    keys = [c.key for c in COLUMNS[kind]]
    out = out.with_columns([pl.when(pl.col(k) == "").then(None).otherwise(pl.col(k)).alias(k) for k in keys])
    # Full-width digits and letters (１２３，ＡＢＣ) from Chinese input methods: NFKC on the few
    # distinct values that are not plain ASCII (cheap even for millions of rows).
    for k in keys:
        col = out[k]
        if col.null_count() == out.height:
            continue
        odd = col.filter(~col.str.contains(r"^[\x00-\x7f]*$")).unique().drop_nulls()
        if odd.len():
            mapping = {v: unicodedata.normalize("NFKC", v).strip() for v in odd.to_list()}
            changed = {a: b for a, b in mapping.items() if a != b}
            if changed:
                out = out.with_columns(pl.col(k).replace(changed))
    empty = pl.all_horizontal([pl.col(k).is_null() for k in keys])
    return out.filter(~empty).select(["_row", *keys])


__all__ = ["FileProblem", "canonical", "read_upload", "rows_from_json", "header_key"]
