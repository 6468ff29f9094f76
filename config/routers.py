"""Reads of marked views from the read replica; everything else on the primary.

`replica_reads` marks a view whose GET only reads and may be a moment behind the
primary: the public catalogue, reports, CSV exports. While such a view runs
(its streamed CSV included), ReplicaRouter sends its reads to the "replica"
database (DATABASE_REPLICA_URL) until the request writes anything; from then on
its reads go to the primary too, so a request never reads past its own write.
Writes always go to "default". Without a "replica" database, or outside a
marked view, or for any other method than GET and HEAD, nothing changes.

The session and the signed-in user are read from the primary before the view
starts (a sign-in that just happened is not yet on the replica). A replica that
is behind shows the catalogue as it was a moment ago; nothing that decides a
claim, a balance or a permission reads from it: the permission decorators of a
marked view run before the mark, on the primary.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS
from django.http import HttpRequest, HttpResponse

REPLICA = "replica"


class _Reads:
    """The state of one marked view's run: whether it has written yet."""

    def __init__(self) -> None:
        self.wrote = False


_current: ContextVar[_Reads | None] = ContextVar("replica_reads", default=None)


class ReplicaRouter:
    """Marked views' reads from the replica while they have not written."""

    def db_for_read(self, model: Any, **hints: Any) -> str:
        # Always an answer: an object read from the replica must not carry its
        # reads there outside a marked view (Django would follow its _state.db).
        reads = _current.get()
        if reads is not None and not reads.wrote and REPLICA in settings.DATABASES:
            return REPLICA
        return DEFAULT_DB_ALIAS

    def db_for_write(self, model: Any, **hints: Any) -> str:
        reads = _current.get()
        if reads is not None:
            reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # The replica is a copy of the primary: their rows are the same rows.
        return True


def _run(reads: _Reads, step: Callable[[], Any]) -> Any:
    token = _current.set(reads)
    try:
        return step()
    finally:
        _current.reset(token)


def _streamed(reads: _Reads, chunks: Iterator[Any]) -> Iterator[Any]:
    # A streamed CSV is read after the view returned, one chunk at a time.
    done = object()
    while (chunk := _run(reads, lambda: next(chunks, done))) is not done:
        yield chunk


def replica_reads(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view whose GET (and HEAD) reads may come from the read replica."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        user = getattr(request, "user", None)
        if user is not None:
            # Loads the session and the user now, from the primary.
            user.is_authenticated  # noqa: B018
        reads = _Reads()
        response = _run(reads, lambda: view(request, *args, **kwargs))
        if response.streaming:
            response.streaming_content = _streamed(reads, iter(response.streaming_content))
        return response

    return wrapper
