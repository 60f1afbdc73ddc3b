"""Bounded HTTP: at most a given number of bytes of an answer is read, inflated by the client.

Each endpoint has its own bound, near what its real answers can be: MAX_ANSWER_BYTES is the
largest, for the public ticker.
"""

from typing import Final
import zlib

import aiohttp

from .errors import WhiteBitResponseError, WhiteBitTooLargeError
from .text import safe_text

# The public ticker, the largest answer, is a few hundred KB: 4 MiB is far above any real
# answer, and far below what would hurt Home Assistant's memory.
MAX_ANSWER_BYTES: Final = 4 * 1024 * 1024
_CHUNK: Final = 64 * 1024


async def read_bounded(
    response: aiohttp.ClientResponse, max_bytes: int = MAX_ANSWER_BYTES
) -> bytes:
    """Read at most `max_bytes` of the decompressed body, or raise WhiteBitTooLargeError.

    Content-Length is checked first; then the bytes are counted as they are inflated, so an
    endless stream or a small gzip that inflates to gigabytes stops at the limit. The client
    inflates itself (auto_decompress is off): aiohttp 3.13, in Home Assistant 2026.5, inflated
    a 256 KiB gzip to 32 MiB in one go before the first byte could be counted.
    """
    if (response.content_length or 0) > max_bytes:
        raise _too_large(max_bytes)
    inflater = _inflater(response.headers.get("Content-Encoding", ""))
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.content.iter_chunked(_CHUNK):
        data = chunk
        while data:
            if inflater is None:
                piece, data = data, b""
            else:
                try:
                    piece = inflater.decompress(data, max_bytes - size + 1)
                except zlib.error as err:
                    msg = "WhiteBIT's answer is not the compressed data it said it was"
                    raise WhiteBitResponseError(msg) from err
                data = inflater.unconsumed_tail
            size += len(piece)
            if size > max_bytes:
                raise _too_large(max_bytes)
            chunks.append(piece)
    return b"".join(chunks)


def _inflater(encoding: str) -> zlib._Decompress | None:
    """A decompressor for the body's Content-Encoding; only what the request asked for."""
    match encoding.strip().lower():
        case "" | "identity":
            return None
        case "gzip" | "x-gzip":
            return zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        case "deflate":
            return zlib.decompressobj(wbits=zlib.MAX_WBITS)
        case other:
            msg = f"WhiteBIT answered in an encoding it was not asked for: {safe_text(other, 40)}"
            raise WhiteBitResponseError(msg)


def _too_large(max_bytes: int) -> WhiteBitTooLargeError:
    size = f"{max_bytes // 1024} KiB"
    return WhiteBitTooLargeError(f"WhiteBIT's answer is larger than {size}; not read")
