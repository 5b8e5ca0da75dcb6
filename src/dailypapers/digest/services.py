"""Subscribing and unsubscribing (double opt-in for addresses, direct for verified members)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import User
from django.core import signing
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac

from dailypapers.infra.mail import send_templated

from . import compose
from .models import Subscriber

CONFIRM_MAX_AGE = 7 * 24 * 3600


class DigestError(Exception):
    pass


def subscribe(email: str, frequency: str) -> None:
    """Ask an address to confirm a subscription at ``frequency``. Nothing about a subscriber
    changes until the link is opened, since anyone may type any address here: a stranger can
    neither restart someone's digest nor change how often it comes. The page answers the same
    whether or not the address is known; an active subscriber gets a note instead."""
    email = email.strip().lower()
    sub, _ = Subscriber.objects.get_or_create(email=email, defaults={"frequency": frequency})
    if sub.active:
        send_templated(email, "digest/mail/already_subscribed", {"sub": sub})
        return
    data = {"sub": sub.pk, "state": _state(sub), "frequency": frequency}
    token = signing.dumps(data, salt=compose.CONFIRM_SALT)
    link = f"{settings.DAILYPAPERS_SITE_URL}/digest/confirm/{token}"
    send_templated(email, "digest/mail/confirm", {"frequency": frequency, "link": link})


def _state(sub: Subscriber) -> str:
    """What a confirmation link is bound to: confirming, unsubscribing or being disabled by
    bounces changes it, so that a link works once and cannot undo a later unsubscribe."""
    value = f"{sub.confirmed_at}|{sub.unsubscribed_at}|{sub.disabled_reason}"
    return salted_hmac(compose.CONFIRM_SALT, value, algorithm="sha256").hexdigest()[:32]


def confirm(token: str) -> Subscriber:
    try:
        data = signing.loads(token, salt=compose.CONFIRM_SALT, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        raise DigestError("This confirmation link is not valid or has expired.") from None
    # Links sent before they carried a state and a frequency are refused too.
    data = data if isinstance(data, dict) else {}
    sub = Subscriber.objects.filter(pk=int(data.get("sub", 0))).first()
    frequency = data.get("frequency")
    if (
        sub is None
        or data.get("state") != _state(sub)
        or frequency not in Subscriber.Frequency.values
    ):
        raise DigestError(
            "This confirmation link was used already, or is not valid. Subscribe again to get "
            "a new one."
        )
    sub.frequency = frequency  # the one asked for with this link, not by a later request
    sub.confirmed_at, sub.unsubscribed_at, sub.disabled_reason = timezone.now(), None, ""
    sub.failures = 0
    sub.save()
    return sub


def subscribe_member(
    user: User, frequency: str, wants_trending: bool, categories: list[str]
) -> Subscriber:
    """A verified member's own subscription: their address is confirmed already."""
    sub = (
        Subscriber.objects.filter(user=user).first()
        or Subscriber.objects.filter(email=user.email.lower()).first()
    )
    sub = sub or Subscriber(email=user.email.lower())
    sub.user, sub.frequency = user, frequency
    sub.wants_trending, sub.categories = wants_trending, categories
    sub.confirmed_at = sub.confirmed_at or timezone.now()
    sub.unsubscribed_at = None
    sub.save()
    return sub


def subscriber_for_unsubscribe(token: str) -> Subscriber:
    try:
        pk = signing.loads(token, salt=compose.UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        raise DigestError("This unsubscribe link is not valid.") from None
    sub = Subscriber.objects.filter(pk=pk).first()
    if sub is None:
        raise DigestError("This unsubscribe link is not valid.")
    return sub


def unsubscribe(sub: Subscriber) -> None:
    if sub.unsubscribed_at is None:
        sub.unsubscribed_at = timezone.now()
        sub.save(update_fields=["unsubscribed_at"])


def follow_new_address(sender: object, user: User, old: str, new: str, **kwargs: object) -> None:
    """A member's subscription moves with their verified new address (``email_changed``); an
    address-only subscription of that address, theirs now, gives way to it."""
    with transaction.atomic():
        sub = Subscriber.objects.select_for_update().filter(user=user).first()
        if sub is None:
            return
        Subscriber.objects.filter(email__iexact=new, user__isnull=True).delete()
        sub.email = new.lower()
        sub.save(update_fields=["email"])
