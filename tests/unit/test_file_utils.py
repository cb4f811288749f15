"""file_utils builds the canonical content parts and refuses bad files with one clear line."""

from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from llmring import file_utils
from llmring.errors import FileInputError
from llmring.file_utils import (
    analyze_file,
    analyze_image,
    create_file_content,
    create_image_content,
    encode_file_to_base64,
    get_file_mime_type,
)

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32
GIF = b"GIF89a" + b"\x00" * 32
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"


def write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("name", "data", "mime"),
    [
        ("a.png", PNG, "image/png"),
        ("a.jpg", JPEG, "image/jpeg"),
        ("a.gif", GIF, "image/gif"),
        ("a.webp", WEBP, "image/webp"),
    ],
)
def test_analyze_image_gives_text_then_data_url(tmp_path: Path, name: str, data: bytes, mime: str) -> None:
    parts = analyze_image(write(tmp_path, name, data), "describe")
    assert parts[0] == {"type": "text", "text": "describe"}
    url = parts[1]["image_url"]["url"]
    assert parts[1]["type"] == "image_url"
    assert url == f"data:{mime};base64," + base64.b64encode(data).decode()


def test_image_type_comes_from_bytes_not_the_name(tmp_path: Path) -> None:
    parts = create_image_content(write(tmp_path, "photo.jpg", PNG))
    assert parts[0]["image_url"]["url"].startswith("data:image/png;base64,")


def test_fake_image_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileInputError, match="not a PNG/JPEG/GIF/WebP"):
        analyze_image(write(tmp_path, "x.png", b"hello, not an image"), "p")


def test_pdf_becomes_document_part(tmp_path: Path) -> None:
    parts = analyze_file(write(tmp_path, "report.pdf", PDF), "summarise")
    assert parts[0] == {"type": "text", "text": "summarise"}
    assert parts[1] == {
        "type": "document",
        "source": {"type": "base64", "media_type": "application/pdf", "data": base64.b64encode(PDF).decode()},
        "filename": "report.pdf",
    }


def test_fake_pdf_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileInputError, match="%PDF-"):
        analyze_file(write(tmp_path, "x.pdf", b"nope"), "p")


@pytest.mark.parametrize("name", ["notes.txt", "notes.md", "data.csv", "data.json"])
def test_text_files_are_inlined(tmp_path: Path, name: str) -> None:
    parts = analyze_file(write(tmp_path, name, b"a,b\n1,2\n"), "read")
    assert parts[1]["type"] == "text"
    assert "a,b\n1,2" in parts[1]["text"] and name in parts[1]["text"]


def test_image_through_analyze_file(tmp_path: Path) -> None:
    assert analyze_file(write(tmp_path, "a.gif", GIF), "p")[1]["type"] == "image_url"


def test_no_prompt_means_no_text_part(tmp_path: Path) -> None:
    assert [p["type"] for p in create_file_content(write(tmp_path, "a.png", PNG))] == ["image_url"]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(FileInputError, match="file not found"):
        analyze_file(tmp_path / "nope.pdf", "p")


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileInputError, match="not a regular file"):
        analyze_file(tmp_path, "p")


def test_unsupported_type(tmp_path: Path) -> None:
    with pytest.raises(FileInputError, match="unsupported file type"):
        analyze_file(write(tmp_path, "a.bin", b"\x00\x01\x02"), "p")


def test_remote_urls_are_refused() -> None:
    with pytest.raises(FileInputError, match="only local files"):
        analyze_image("https://example.com/a.png", "p")


def test_size_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert file_utils.MAX_FILE_BYTES == 20 * 1024 * 1024
    path = write(tmp_path, "big.png", PNG)
    with open(path, "ab") as fh:
        fh.truncate(file_utils.MAX_FILE_BYTES + 1)
    with pytest.raises(FileInputError, match="over the 20,971,520-byte limit"):
        analyze_image(path, "p")


def test_a_file_growing_while_read_cannot_pass_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path, "grows.png", PNG)
    real_open = Path.open

    def open_after_growth(self: Path, *args: object, **kwargs: object) -> object:
        # The file grows between the size check and the read (a log, a download in progress).
        with real_open(self, "ab") as fh:
            fh.truncate(file_utils.MAX_FILE_BYTES + 4096)
        return real_open(self, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr(Path, "open", open_after_growth)
    with pytest.raises(FileInputError, match="grew past the 20,971,520-byte limit while being read"):
        analyze_image(path, "p")


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path: Path) -> None:
    path = write(tmp_path, "a.png", PNG)
    path.chmod(0)
    try:
        with pytest.raises(FileInputError, match="permission denied"):
            analyze_image(path, "p")
    finally:
        path.chmod(0o600)


def test_helpers(tmp_path: Path) -> None:
    path = write(tmp_path, "a.png", PNG)
    assert encode_file_to_base64(path) == base64.b64encode(PNG).decode()
    assert get_file_mime_type("x.pdf") == "application/pdf"
    assert get_file_mime_type("x.webp") == "image/webp"
    assert get_file_mime_type("x.unknownext") == "application/octet-stream"
