"""Setup only (``make setup``), never imported by the running site: the embedding model's build
from the packaged weights, with the reference vectors it is checked against."""
