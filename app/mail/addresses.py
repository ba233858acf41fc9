"""Email addresses as typed by people: checked and put in the one form they are stored,
looked up and throttled under (facilitator accounts and panelists alike)."""

from __future__ import annotations

from email_validator import EmailNotValidError, validate_email
from email_validator.rfc_constants import EMAIL_MAX_LENGTH

from app.errors import N_, Invalid, Say


def normalize_email(email: str) -> str:
    """The canonical (lower-case) form accounts are stored, looked up and throttled under.

    Raises ``Invalid`` for anything that is not an email address (NUL characters and
    addresses over 254 characters included), so such input never reaches the database.
    """
    address = email.strip()
    if not address:
        raise Invalid(N_("email: missing"))
    try:
        return validate_email(address, check_deliverability=False).normalized.lower()
    except EmailNotValidError:
        raise Invalid(N_("email: %(reason)s"), reason=_why_not(address)) from None


def _why_not(address: str) -> Say:
    """Why email_validator refused ``address``, in a message of ours.

    Its reasons are English sentences without a code to tell them apart, so the common
    cases are found again from the address itself: too long, no @, or no domain name after
    it (what follows the last @, checked alone after a plain name).
    """
    if len(address) > EMAIL_MAX_LENGTH:
        return Say(
            N_("not a valid email address: too long, the maximum length is %(most)s"),
            {"most": EMAIL_MAX_LENGTH},
        )
    _, at, domain = address.rpartition("@")
    if not at:
        return Say(N_("not a valid email address: it has no @"))
    try:
        validate_email(f"name@{domain}", check_deliverability=False)
    except EmailNotValidError:
        return Say(
            N_(
                "not a valid email address: what follows the @ is not a domain name "
                "such as example.org"
            )
        )
    return Say(N_("not a valid email address"))
