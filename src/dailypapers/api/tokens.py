"""Personal API tokens: made (with a verified address), listed and revoked by their member,
all revoked when the account's password or address changes, checked on each API write.

A token is 32 random bytes (``dp_`` + URL-safe base64); the database keeps its SHA-256, so a
leaked table holds no usable token. A random token needs no slow hash: there is no dictionary
to guess from.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.contrib.auth.models import User
from django.db.models import QuerySet
from django.utils import timezone

from dailypapers.community import selectors as community
from dailypapers.infra.mail import send_templated

from .models import ApiToken

PREFIX = "dp_"
VERIFY_FIRST = (
    "Verify your email address before making a token: open the link we mailed you, or ask "
    "for a new one in your account settings."
)
MAX_PER_MEMBER = 20
# last_used_at is written at most this often per token, not on every request.
_TOUCH_EVERY = dt.timedelta(minutes=5)


class TokenError(ValueError):
    """A token request refused; the message says why."""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create(user: User, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``: the row and the token itself, which is not stored."""
    if not community.can_participate(user):
        # Else whoever signs up with someone's address holds a token that acts for its owner
        # once they verify the address.
        raise TokenError(VERIFY_FIRST)
    name = name.strip()
    if not name:
        raise TokenError("Give the token a name, e.g. the script that will use it.")
    if "\x00" in name:
        raise TokenError("A token's name cannot hold NUL characters.")
    if ApiToken.objects.filter(user=user).count() >= MAX_PER_MEMBER:
        raise TokenError(f"You have {MAX_PER_MEMBER} tokens, the most one member may hold.")
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, name=name[:100], digest=_digest(raw), prefix=raw[: len(PREFIX) + 6]
    )
    return token, raw


def of(user: User) -> QuerySet[ApiToken]:
    """The member's tokens, newest first."""
    return ApiToken.objects.filter(user=user)


def revoke(user: User, pk: int) -> bool:
    """Delete one of ``user``'s tokens; False when they have none with that id."""
    deleted, _ = ApiToken.objects.filter(user=user, pk=pk).delete()
    return bool(deleted)


def revoke_all(sender: object, user: User, reason: str, **kwargs: object) -> None:
    """Delete every token of ``user``, whose password or address changed (community's
    ``credentials_changed``), and mail them which went and why: a token someone made with
    the old password works no more, and the owner learns that it was there."""
    revoked = list(of(user))
    if not revoked:
        return
    of(user).delete()
    context = {"user": user, "tokens": revoked, "reason": reason}
    send_templated(user.email, "api/mail/tokens_revoked", context)


def user_for(raw: str) -> User | None:
    """The active account that holds this token, or None."""
    if not raw.startswith(PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(digest=_digest(raw)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
