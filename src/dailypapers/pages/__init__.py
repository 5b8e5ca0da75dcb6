"""Pages that compose several apps, one module each: the listings (home, day, week, month),
trending, new on arXiv, for you, the paper page, authors, and a member's data download. They
sit above every app (docs/architecture.md, "The layers") and take what they show from each
app's selectors; pages of one app stay in that app's views. ``common`` and ``cards`` hold
what the pages share: a viewer's own marks, a page of rows, the cached paper cards."""
