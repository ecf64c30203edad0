"""Pacing requests to one provider: one at a time, a minimum interval between them.

The interval runs from the end of one request to the start of the next, so the provider sees
requests at least ``min_interval_s`` apart whatever the network latency (measured from the start
of each request alone, a slow first connection would squeeze the next gap on the server's side).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator


class Interval:
    """Lets one request run at a time, starting at least ``min_interval_s`` after the last.

    ``defer(seconds)`` pushes the next start further out, for a provider that asked us to
    wait (a rate-limit reset header, a 429).
    """

    def __init__(self, min_interval_s: float) -> None:
        self.min_interval_s = max(0.0, min_interval_s)
        self._next_start = 0.0
        self._lock = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        async with self._lock:
            while (delay := self._next_start - time.monotonic()) > 0:
                await asyncio.sleep(delay)
            try:
                yield
            finally:
                self.defer(self.min_interval_s)

    def defer(self, seconds: float) -> None:
        self._next_start = max(self._next_start, time.monotonic() + max(0.0, seconds))
