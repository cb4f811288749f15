"""Build message content parts from local files (pure builders: nothing here calls a model).

::

    content = analyze_image("chart.png", "What does this chart show?")
    request = LLMRequest(model="gpt-4o", messages=[Message(role="user", content=content)])

Parts come in the canonical shapes every provider converts: ``{"type": "text", ...}``,
``{"type": "image_url", "image_url": {"url": "data:<mime>;base64,..."}}`` for images and
``{"type": "document", "source": {"type": "base64", "media_type": ..., "data": ...},
"filename": ...}`` for PDFs and other documents. Small text files (.txt, .md, .csv, .json and
friends) are inlined as text, which every model can read.

Only local paths are accepted (no remote URLs). Files larger than ``MAX_FILE_BYTES`` (20 MB, the
smallest inline limit among the providers: OpenAI's per-image cap and Gemini's inline request cap)
are refused, as are files whose bytes do not match the image type their name claims.
"""

from __future__ import annotations

import base64
import mimetypes
import os
import stat
from pathlib import Path
from typing import Any

from llmring.errors import FileInputError

MAX_FILE_BYTES = 20 * 1024 * 1024

IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")
TEXT_TYPES = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".markdown": "text/markdown",
    ".csv": "text/csv",
    ".tsv": "text/tab-separated-values",
    ".json": "application/json",
    ".xml": "application/xml",
    ".yaml": "application/yaml",
    ".yml": "application/yaml",
    ".html": "text/html",
}
DOCUMENT_TYPES = {".pdf": "application/pdf"}
_EXTRA_TYPES = {".webp": "image/webp", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", **TEXT_TYPES, **DOCUMENT_TYPES}


def _sniff_image(head: bytes) -> str | None:
    """The image type the magic bytes say, or None."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def get_file_mime_type(file_path: str | os.PathLike[str]) -> str:
    """The MIME type from the file name (``application/octet-stream`` when unknown)."""
    suffix = Path(file_path).suffix.lower()
    if suffix in _EXTRA_TYPES:
        return _EXTRA_TYPES[suffix]
    guessed, _ = mimetypes.guess_type(str(file_path))
    return guessed or "application/octet-stream"


def _read(file_path: str | os.PathLike[str], max_bytes: int = MAX_FILE_BYTES) -> bytes:
    text = os.fspath(file_path)
    if "://" in text:
        raise FileInputError(f"{text}: only local files are supported, not URLs (download it first)")
    path = Path(text).expanduser()
    try:
        # stat, not exists()/is_file(): those raise on EACCES or ENAMETOOLONG instead of saying no.
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise FileInputError(f"{path}: file not found") from None
    except OSError as exc:
        raise FileInputError(f"{path}: cannot read the file ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise FileInputError(f"{path}: not a regular file")
    # Checked before reading, so a huge file costs one stat, not its bytes in memory.
    if info.st_size > max_bytes:
        raise FileInputError(f"{path}: {info.st_size:,} bytes is over the {max_bytes:,}-byte limit")
    try:
        with path.open("rb") as handle:
            # At most one byte past the limit: a file that grew since the stat is caught here.
            data = handle.read(max_bytes + 1)
    except PermissionError as exc:
        raise FileInputError(f"{path}: cannot read the file (permission denied)") from exc
    except OSError as exc:
        raise FileInputError(f"{path}: cannot read the file ({exc.strerror or exc})") from exc
    if len(data) > max_bytes:
        raise FileInputError(f"{path}: grew past the {max_bytes:,}-byte limit while being read")
    return data


def encode_file_to_base64(file_path: str | os.PathLike[str]) -> str:
    """The file's bytes as base64 text (size-checked like every other reader here)."""
    return base64.b64encode(_read(file_path)).decode("ascii")


def _image_part(path: str | os.PathLike[str], data: bytes) -> dict[str, Any]:
    claimed = get_file_mime_type(path)
    actual = _sniff_image(data[:16])
    if actual is None:
        if claimed.startswith("image/"):
            raise FileInputError(
                f"{os.fspath(path)}: named like {claimed} but its bytes are not a PNG/JPEG/GIF/WebP image"
            )
        raise FileInputError(f"{os.fspath(path)}: unsupported image type (use PNG, JPEG, GIF or WebP)")
    encoded = base64.b64encode(data).decode("ascii")
    return {"type": "image_url", "image_url": {"url": f"data:{actual};base64,{encoded}"}}


def create_image_content(file_path: str | os.PathLike[str], text: str = "") -> list[dict[str, Any]]:
    """Content parts for one image, with ``text`` first when given."""
    part = _image_part(file_path, _read(file_path))
    return ([{"type": "text", "text": text}] if text else []) + [part]


def create_file_content(file_path: str | os.PathLike[str], text: str = "") -> list[dict[str, Any]]:
    """Content parts for any supported file: an image part, a document part or inlined text."""
    data = _read(file_path)
    mime = get_file_mime_type(file_path)
    name = Path(file_path).name
    parts: list[dict[str, Any]] = [{"type": "text", "text": text}] if text else []
    if _sniff_image(data[:16]) is not None or mime.startswith("image/"):
        return [*parts, _image_part(file_path, data)]
    suffix = Path(file_path).suffix.lower()
    if suffix in TEXT_TYPES or mime.startswith("text/"):
        try:
            body = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise FileInputError(f"{file_path}: looks like text but is not valid UTF-8") from exc
        return [*parts, {"type": "text", "text": f"<file name={name!r}>\n{body}\n</file>"}]
    if suffix in DOCUMENT_TYPES:
        if not data.startswith(b"%PDF-"):
            raise FileInputError(f"{file_path}: named like a PDF but does not start with %PDF-")
        source = {"type": "base64", "media_type": mime, "data": base64.b64encode(data).decode("ascii")}
        return [*parts, {"type": "document", "source": source, "filename": name}]
    raise FileInputError(f"{file_path}: unsupported file type {mime!r} (use an image, a PDF or a text file)")


def analyze_image(file_path: str | os.PathLike[str], prompt: str = "Analyze this image") -> list[dict[str, Any]]:
    """``[text prompt, image]`` parts, ready for ``Message(role="user", content=...)``."""
    return create_image_content(file_path, prompt)


def analyze_file(file_path: str | os.PathLike[str], prompt: str = "Analyze this file") -> list[dict[str, Any]]:
    """``[text prompt, file]`` parts: images as images, PDFs as documents, text files inlined."""
    return create_file_content(file_path, prompt)
