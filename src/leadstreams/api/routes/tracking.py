"""The Segment tracking API (api.md, "Sources") at the root path, so the clients users
already run (Segment's, RudderStack's) send here by setting their host.

Bodies are read here, not by FastAPI: the write key may be in the body, gzip bodies are
inflated under a limit, and the limits are Segment's (32 KB a message, 500 KB a batch).
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from leadstreams.api.deps import Batcher, Ctx, key_user
from leadstreams.errors import Malformed, TooLarge, Unauthenticated
from leadstreams.schemas.segment import BATCH_BYTES, MESSAGE_BYTES, Accepted, MessageErrorRead
from leadstreams.services import sources

router = APIRouter(tags=["sources"])


@router.post("/v1/batch", response_model=Accepted)
async def batch(request: Request, ctx: Ctx, batcher: Batcher) -> Accepted:
    """`{"batch": [message, ...]}`: the good messages are kept, the bad ones reported."""
    body = await _authenticated_body(request, limit=BATCH_BYTES)
    messages = body.get("batch")
    if not isinstance(messages, list):
        raise Malformed('the body is not a batch: give {"batch": [message, ...]}')
    sizes = [len(json.dumps(message, separators=(",", ":"))) for message in messages]
    errors = await run_in_threadpool(sources.record_messages, ctx, batcher, messages, sizes=sizes)
    listed = [MessageErrorRead(index=e.index, reason=e.reason) for e in errors]
    return Accepted(errors=listed)


async def _one(request: Request, ctx: Ctx, batcher: Batcher, type_: str) -> Accepted:
    body = await _authenticated_body(request, limit=MESSAGE_BYTES)
    body.setdefault("type", type_)
    errors = await run_in_threadpool(sources.record_messages, ctx, batcher, [body])
    if errors:
        raise Malformed(f"the message was not recorded: {errors[0].reason}")
    return Accepted()


@router.post("/v1/track", response_model=Accepted)
async def track(request: Request, ctx: Ctx, batcher: Batcher) -> Accepted:
    """One track message: an event."""
    return await _one(request, ctx, batcher, "track")


@router.post("/v1/identify", response_model=Accepted)
async def identify(request: Request, ctx: Ctx, batcher: Batcher) -> Accepted:
    """One identify message: the contact upserted, its anonymous visits joined."""
    return await _one(request, ctx, batcher, "identify")


@router.post("/v1/page", response_model=Accepted)
async def page(request: Request, ctx: Ctx, batcher: Batcher) -> Accepted:
    """One page message: a `page_visited` event."""
    return await _one(request, ctx, batcher, "page")


async def _authenticated_body(request: Request, *, limit: int) -> dict[str, Any]:
    """The body as a JSON object, once its write key (an API key with the `ingest` scope)
    is known good: 413 over `limit` (as sent, and inflated), 400 not a JSON object, 401
    without a good key, 403 for a key without `ingest`."""
    raw = await _read(request, limit)
    if request.headers.get("content-encoding", "").strip().lower() == "gzip":
        raw = _inflate(raw, limit)
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise Malformed(f"the body is not JSON: {error}") from error
    if not isinstance(body, dict):
        raise Malformed("the body is not a JSON object")
    key = _header_key(request.headers.get("authorization")) or body.get("writeKey")
    if not isinstance(key, str) or not key:
        raise Unauthenticated("give the write key (an API key) as the HTTP Basic user name")
    await key_user(request, key)
    return body


async def _read(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise TooLarge(f"the body is over the limit of {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLarge(f"the body is over the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def _inflate(data: bytes, limit: int) -> bytes:
    """A gzip body, refused once it inflates past `limit` (a small bomb cannot fill memory)."""
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        inflated = inflater.decompress(data, limit + 1)
    except zlib.error as error:
        raise Malformed(f"the body is not valid gzip: {error}") from error
    if len(inflated) > limit or inflater.unconsumed_tail:
        raise TooLarge(f"the inflated body is over the limit of {limit} bytes")
    return inflated


def _header_key(header: str | None) -> str | None:
    """The key in `Authorization`: the user name of `Basic base64(user:password)`, as the
    tracking clients send it, or `Bearer <key>`, as on the rest of the API."""
    if header and header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    if not header or header[:6].lower() != "basic ":
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    return decoded.partition(":")[0] or None
