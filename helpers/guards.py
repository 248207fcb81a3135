"""What a request may be before the service reads it: guards the HTTP service (``serve``) puts
in front of its endpoints, each answering with a status and a message rather than reading on.

Imports: none.

    >>> body_refused({"content-length": "12"}, max_bytes=10)
    (413, 'request body of 12 bytes: the limit is 10')
    >>> body_refused({"content-length": "10", "transfer-encoding": "chunked"}, max_bytes=10)[0]
    411
"""

from __future__ import annotations

import asyncio
import time


class BodyLimit:
    """ASGI middleware: a body refused by its headers (``body_refused``) is not read at all,
    and the size limit holds on the bytes read, whatever the headers said (a ``Content-Length``
    is a claim): past it reading stops with a 413, and a body still incomplete ``seconds``
    after the first read (a client that stalls half-way) with a 408. Each refusal is FastAPI's
    ``HTTPException``, raised where the endpoint reads its body, so the app answers it like
    any other."""

    def __init__(self, app, max_bytes: int, seconds: float = 10.0):
        self.app, self.max_bytes, self.seconds = app, max_bytes, seconds

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        refused, seen, done, deadline = body_refused(headers, self.max_bytes), 0, False, None

        async def counted():
            nonlocal seen, done, deadline
            from fastapi import HTTPException  # FastAPI lets its own pass through body parsing

            if refused:
                raise HTTPException(*refused)
            if done:  # the body is in: what follows (a disconnect) has no deadline
                return await receive()
            deadline = deadline or time.monotonic() + self.seconds
            try:
                message = await asyncio.wait_for(receive(), max(0.0, deadline - time.monotonic()))
            except asyncio.TimeoutError:
                raise HTTPException(408, f"the request body did not arrive within {self.seconds:g} "
                                         "s") from None
            done = message["type"] != "http.request" or not message.get("more_body", False)
            seen += len(message.get("body", b""))
            if seen > self.max_bytes:
                raise HTTPException(413, f"request body over {self.max_bytes} bytes: the limit is "
                                         f"{self.max_bytes}")
            return message

        await self.app(scope, counted, send)


def body_refused(headers, max_bytes: int) -> tuple[int, str] | None:
    """Why a request's body is refused before it is read (status and message), or None: over
    the size limit by its ``Content-Length`` (413), or sent in chunks without one (411: its
    size could only be known by reading it)."""
    if "transfer-encoding" in headers:  # with or without a Content-Length, which it overrides
        return 411, ("send the body with a Content-Length header and no Transfer-Encoding (a "
                     "chunked body cannot be checked against the size limit before it is read)")
    size = headers.get("content-length", "0")
    if not size.isdigit() or int(size) > max_bytes:
        return 413, f"request body of {size} bytes: the limit is {max_bytes}"
    return None
