"""What community tells the apps above it, which it does not import."""

from django.dispatch import Signal

# An account's address changed (its new one verified): ``user``, ``old``, ``new``.
email_changed = Signal()

# What proves who holds an account changed: its password (changed or reset) or its address (a
# new one verified): ``user``, and ``reason``, a sentence that tells the member which. What the
# old one let anyone make (API tokens) goes.
credentials_changed = Signal()
