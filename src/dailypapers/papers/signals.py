"""Signals other apps react to, so that the apps below never import the apps above them."""

from django.dispatch import Signal

# Sent after papers were created, changed, hidden or shown again (an import, a fetch, a
# harvest, a moderator): search embeds and indexes them. Sent once per batch, after commit.
papers_changed = Signal()
