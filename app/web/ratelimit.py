"""Rate-limit counters (the ``limits`` package) and who a request counts against.

One storage, named by ``DELPHI_RATE_LIMIT_STORAGE``, serves two limiters: an asyncio one
for the ASGI middleware (link guesses) and a blocking one for code that already runs in
a worker thread (sign-in). ``memory://`` keeps the counters in the process, right for a
single worker; with several workers each would count alone, so they share
``redis://host:port``. Counters are moving windows: a limit of 5 per 15 minutes is never
more than 5 in any 15 minutes.

No counter key holds an address or an email: identifiers are keyed hashes, so the
storage learns nothing a log must not.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import math
import time
from dataclasses import dataclass

import redis
import redis.asyncio
from limits import RateLimitItem, aio, storage, strategies
from starlette.applications import Starlette
from starlette.requests import HTTPConnection
from starlette.types import Scope

from app.config import Settings

# An IPv6 client holds a whole /64 (one home, one phone), so it counts as one address.
IPV6_PREFIX = 64
# A storage that does not answer within this many seconds counts as down.
STORAGE_TIMEOUT = 2


@dataclass(frozen=True)
class RateLimits:
    """The two limiters over one storage, and the key that hashes identifiers."""

    sync: strategies.MovingWindowRateLimiter
    aio: aio.strategies.MovingWindowRateLimiter
    _key: bytes
    _pools: tuple[redis.ConnectionPool, redis.asyncio.ConnectionPool] | None = None

    def identify(self, *parts: str) -> str:
        """A stable, non-reversible identifier for ``parts`` (an address, an email)."""
        message = "\x1f".join(parts).encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:32]

    def wait(self, item: RateLimitItem, identifier: str) -> int:
        """Seconds until ``item`` allows ``identifier`` another hit (at least 1)."""
        reset = self.sync.get_window_stats(item, identifier).reset_time
        return max(1, math.ceil(reset - time.time()))

    async def wait_async(self, item: RateLimitItem, identifier: str) -> int:
        """:meth:`wait`, from the event loop."""
        reset = (await self.aio.get_window_stats(item, identifier)).reset_time
        return max(1, math.ceil(reset - time.time()))

    async def aclose(self) -> None:
        """Close the connections to the storage (they reopen on next use)."""
        if self._pools is not None:
            sync_pool, async_pool = self._pools
            sync_pool.disconnect()
            # Bound to the event loop that is ending: close them while it still runs.
            await async_pool.disconnect()


def build(settings: Settings, *, key_prefix: str = "delphi") -> RateLimits:
    """The limiters for ``settings.rate_limit_storage``; each call has fresh memory."""
    uri = settings.rate_limit_storage
    key = hmac.new(settings.secret_key.encode(), b"rate-limit", hashlib.sha256).digest()
    if uri.startswith("memory"):
        return RateLimits(
            sync=strategies.MovingWindowRateLimiter(storage.MemoryStorage()),
            aio=aio.strategies.MovingWindowRateLimiter(aio.storage.MemoryStorage()),
            _key=key,
        )
    timeouts = {"socket_timeout": STORAGE_TIMEOUT, "socket_connect_timeout": STORAGE_TIMEOUT}
    pools = (
        redis.ConnectionPool.from_url(uri, **timeouts),
        redis.asyncio.ConnectionPool.from_url(uri, **timeouts),
    )
    return RateLimits(
        sync=strategies.MovingWindowRateLimiter(
            storage.RedisStorage(
                uri, connection_pool=pools[0], key_prefix=key_prefix, wrap_exceptions=True
            )
        ),
        # redis-py's own asyncio client, rather than a second Redis library.
        aio=aio.strategies.MovingWindowRateLimiter(
            aio.storage.RedisStorage(
                f"async+{uri}",
                key_prefix=key_prefix,
                wrap_exceptions=True,
                implementation="redispy",
                connection_pool=pools[1],  # type: ignore[arg-type]  # passed on to redis-py
            )
        ),
        _key=key,
        _pools=pools,
    )


def of_app(app: Starlette) -> RateLimits:
    """The application's limiters (built once per application in ``create_app``)."""
    limits: RateLimits = app.state.rate_limits
    return limits


def of(connection: HTTPConnection) -> RateLimits:
    """The limiters of the application serving ``connection``."""
    return of_app(connection.app)


def client_address(scope: Scope) -> str:
    """The client's address as counted: the IP (after trusted proxies), IPv6 by /64."""
    client = scope.get("client")
    host = client[0] if client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address.ipv4_mapped if isinstance(address, ipaddress.IPv6Address) else address)
