"""Request bodies are UTF-8: JSON, form fields and the text parts of uploads, or a 400.

Starlette reads undecodable form bytes as U+FFFD (url-encoded) or as Latin-1 (multipart), so
without this check a malformed post would be stored as garbled text.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import Request

from epitrace.errors import N_, DomainError

ENCODING_MESSAGE = N_("The request is not valid UTF-8 text.")


class MalformedBody(DomainError):
    status_code = 400
    code = "malformed_body"


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _urlencoded_is_utf8(body: bytes) -> bool:
    if not _is_utf8(body):
        return False
    try:
        parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        return False
    return True


def _multipart_text_is_utf8(body: bytes, boundary: bytes) -> bool:
    """True when every part that is not a file (its name and value) is UTF-8."""
    parts: list[tuple[bytes, bytearray]] = []  # (content-disposition, data)
    header_field = bytearray()
    header_value = bytearray()

    def on_part_begin() -> None:
        parts.append((b"", bytearray()))

    def on_part_data(data: bytes, start: int, end: int) -> None:
        parts[-1][1].extend(data[start:end])

    def on_header_field(data: bytes, start: int, end: int) -> None:
        header_field.extend(data[start:end])

    def on_header_value(data: bytes, start: int, end: int) -> None:
        header_value.extend(data[start:end])

    def on_header_end() -> None:
        if bytes(header_field).lower() == b"content-disposition":
            parts[-1] = (bytes(header_value), parts[-1][1])
        header_field.clear()
        header_value.clear()

    parser = MultipartParser(
        boundary,
        {
            "on_part_begin": on_part_begin,
            "on_part_data": on_part_data,
            "on_header_field": on_header_field,
            "on_header_value": on_header_value,
            "on_header_end": on_header_end,
        },
    )
    parser.write(body)
    parser.finalize()
    for disposition, data in parts:
        _kind, options = parse_options_header(disposition)
        if not _is_utf8(options.get(b"name", b"")):
            return False
        if b"filename" in options:
            if not _is_utf8(options[b"filename"]):
                return False
            continue
        if not _is_utf8(bytes(data)):
            return False
    return True


async def check_encoding(request: Request) -> None:
    """Refuse (400) a body that is not UTF-8; the body stays readable by the route."""
    if request.method not in {"POST", "PUT", "PATCH", "DELETE"}:
        return
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    if content_type == b"application/x-www-form-urlencoded":
        valid = _urlencoded_is_utf8(await request.body())
    elif content_type == b"multipart/form-data" and b"boundary" in options:
        try:
            valid = _multipart_text_is_utf8(await request.body(), options[b"boundary"])
        except Exception:  # a broken multipart body: the framework's parser gives the 400
            return
    elif content_type == b"application/json" or content_type.endswith(b"+json"):
        valid = _is_utf8(await request.body())
    else:
        return
    if not valid:
        raise MalformedBody(ENCODING_MESSAGE)
