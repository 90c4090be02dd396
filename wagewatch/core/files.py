"""Files with personal data kept on disk for a while (uploaded import files, kept while a rejected
import waits to be fixed): encrypted, readable by the platform's own user only, never in clear.

    digest = sealed_write(path, upload.chunks())   # AES-256-GCM, mode 0600, folder 0700
    data = sealed_read(path)                       # FileProblemSealed if altered or cut short

The key is derived from FIELD_ENCRYPTION_KEY (the key of the encrypted columns), so a copy of the
media folder alone reveals nothing. Chunks are sealed one by one (1 MiB), each bound to its
position and whether it is the last, so a file cannot be truncated, reordered or spliced
unnoticed. How long such files are kept is the office's time limit `import_file_retention`
(wagewatch.payroll.services.imports.import_files_expire deletes them; a daily beat runs it).
"""

from __future__ import annotations

import hashlib
import os
import struct
from collections.abc import Iterable
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

MAGIC = b"WWSEAL1\n"
CHUNK = 1024 * 1024
_LENGTH = struct.Struct(">I")


class SealedFileError(Exception):
    """The file is not a sealed file of this platform, was altered, or is cut short."""


def _aead() -> AESGCM:
    key = hashlib.sha256(b"wagewatch sealed files\x00" + settings.FIELD_ENCRYPTION_KEY.encode()).digest()
    return AESGCM(key)


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


def _rechunk(chunks: Iterable[bytes]):
    """Pieces of exactly CHUNK bytes, then the rest (maybe empty: the last piece marks the end)."""
    buffer = bytearray()
    for chunk in chunks:
        buffer += chunk
        whole = len(buffer) - len(buffer) % CHUNK
        if whole:
            for start in range(0, whole, CHUNK):
                yield bytes(buffer[start : start + CHUNK])
            del buffer[:whole]
    yield bytes(buffer)


def sealed_write(path: Path, chunks: Iterable[bytes]) -> str:
    """Write `chunks` encrypted to `path` (created 0600 in a 0700 folder; replaced if it exists).
    Returns the SHA-256 of the clear content."""
    path = Path(path)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    aead, prefix, digest = _aead(), os.urandom(8), hashlib.sha256()
    temporary = path.with_name(path.name + ".part")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "wb") as out:
        out.write(MAGIC + prefix)
        pieces = _rechunk(chunks)
        current = next(pieces)
        index = 0
        while True:
            following = next(pieces, None)
            last = following is None
            digest.update(current)
            sealed = aead.encrypt(_nonce(prefix, index), current, struct.pack(">I?", index, last))
            out.write(_LENGTH.pack(len(sealed)) + sealed)
            if last:
                break
            current, index = following, index + 1
    os.replace(temporary, path)
    return digest.hexdigest()


def sealed_read(path: Path) -> bytes:
    """The clear content of a sealed file; `SealedFileError` if it was altered or cut short."""
    data = Path(path).read_bytes()
    if not data.startswith(MAGIC):
        raise SealedFileError("不是本平台加密保存的文件")
    aead, prefix, position, index, parts = _aead(), data[len(MAGIC) : len(MAGIC) + 8], len(MAGIC) + 8, 0, []
    while True:
        if position + _LENGTH.size > len(data):
            raise SealedFileError("文件不完整")
        (length,) = _LENGTH.unpack_from(data, position)
        position += _LENGTH.size
        sealed = data[position : position + length]
        position += length
        last = position >= len(data)
        try:
            parts.append(aead.decrypt(_nonce(prefix, index), sealed, struct.pack(">I?", index, last)))
        except InvalidTag:
            raise SealedFileError("文件已被改动或不完整") from None
        if last:
            return b"".join(parts)
        index += 1
