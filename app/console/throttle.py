"""Sign-in throttling: lock per address and account, slow down per account.

Counted with the ``limits`` package (see :mod:`app.web.ratelimit` for where the counters
live), keyed by the client address and the normalised email as typed, whether or not an
account has that email, so a refusal says nothing about which accounts exist.

- ``PER_PAIR``: one address gets 5 tries at one account in any 15 minutes. A try counts
  before the password is checked (so a burst of parallel guesses gets 5 in all) and a
  successful sign-in forgets them.
- ``PER_ADDRESS``: one address gets 30 tries in any 15 minutes, whatever the accounts
  (refused tries included: an address that keeps knocking is an attacker's).
- ``PER_ACCOUNT``: after 20 failures at one account in 15 minutes, from anywhere, the
  account is slowed down rather than locked: every address gets one try at it a minute
  (``SLOWED``). Someone guessing from many addresses cannot lock the real user out,
  whose first try from their own address goes through, and whose successful sign-in
  resets the account's count.

A refused try does not extend the lock it ran into, and is refused before the
deliberately slow password hash.
"""

from __future__ import annotations

import math

from limits import RateLimitItem, parse
from limits.errors import StorageError

from app.errors import N_, DomainError, N_plural, Plural
from app.web.ratelimit import RateLimits

PER_PAIR = parse("5/15 minutes")
PER_ADDRESS = parse("30/15 minutes")
PER_ACCOUNT = parse("20/15 minutes")
SLOWED = parse("1/minute")
STORAGE_DOWN_RETRY = 30


class TooManyFailures(DomainError):
    """Sign-ins are refused for ``retry_after`` more seconds."""

    status = 429

    def __init__(self, message: str | Plural, retry_after: int, **say: object) -> None:
        super().__init__(message, **say)
        self.retry_after = retry_after


class ThrottleUnavailable(TooManyFailures):
    """The counters cannot be read: refuse rather than let guesses through uncounted."""

    status = 503

    def __init__(self) -> None:
        super().__init__(
            N_("Signing in is not possible for a moment; try again in a minute."),
            STORAGE_DOWN_RETRY,
        )


BY_ADDRESS = N_plural(
    "Too many sign-in attempts from your address; try again in %(minutes)s minute.",
    "Too many sign-in attempts from your address; try again in %(minutes)s minutes.",
    "minutes",
)
BY_SLOWED_ACCOUNT = N_plural(
    "This account has had many failed sign-ins lately, so each address gets one try a "
    "minute; try again in %(minutes)s minute.",
    "This account has had many failed sign-ins lately, so each address gets one try a "
    "minute; try again in %(minutes)s minutes.",
    "minutes",
)
BY_ACCOUNT = N_plural(
    "Too many failed sign-ins for this account; try again in %(minutes)s minute.",
    "Too many failed sign-ins for this account; try again in %(minutes)s minutes.",
    "minutes",
)


class SignInThrottle:
    """The sign-in counters of one client address, for one typed email."""

    def __init__(self, limits: RateLimits, address: str, email: str) -> None:
        self.limits = limits
        self.address = limits.identify("sign-in address", address)
        self.account = limits.identify("sign-in account", email)
        self.pair = limits.identify("sign-in pair", address, email)

    def admit(self) -> None:
        """Count this try, or raise :class:`TooManyFailures` (and count nothing more)."""
        try:
            self._admit()
        except StorageError:
            raise ThrottleUnavailable() from None

    def _admit(self) -> None:
        # Each hit is atomic, so parallel tries cannot all pass one check before any counts.
        hit = self.limits.sync.hit
        if not hit(PER_ADDRESS, self.address):
            self._refuse(PER_ADDRESS, self.address, BY_ADDRESS)
        slowed = not self.limits.sync.test(PER_ACCOUNT, self.account)
        if slowed and not hit(SLOWED, self.pair):
            self._refuse(SLOWED, self.pair, BY_SLOWED_ACCOUNT)
        if not hit(PER_PAIR, self.pair):
            self._refuse(PER_PAIR, self.pair, BY_ACCOUNT)

    def _refuse(self, item: RateLimitItem, identifier: str, refusal: Plural) -> None:
        wait = self.limits.wait(item, identifier)
        raise TooManyFailures(refusal, wait, minutes=math.ceil(wait / 60))

    def failed(self) -> None:
        """The password was wrong: count it against the account."""
        try:
            self.limits.sync.hit(PER_ACCOUNT, self.account)
        except StorageError:
            raise ThrottleUnavailable() from None

    def succeeded(self) -> None:
        """The password was right: forget this pair's tries and the account's failures."""
        try:
            for item, identifier in (
                (PER_PAIR, self.pair),
                (SLOWED, self.pair),
                (PER_ACCOUNT, self.account),
            ):
                self.limits.sync.clear(item, identifier)
        except StorageError:
            raise ThrottleUnavailable() from None
