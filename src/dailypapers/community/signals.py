"""What community tells the apps above it, which it does not import."""

from django.dispatch import Signal

# An account's address changed (its new one verified): ``user``, ``old``, ``new``.
email_changed = Signal()
