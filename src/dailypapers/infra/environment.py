"""How settings.py reads a variable of the environment, checked, with a clear error otherwise.

Only settings.py calls these, each with the variable's name written out, so that the names
stay where tests/test_docs.py finds them (it treats every ``env_*(NAME, ...)`` call as a read
of NAME) and the rest of the code reads ``django.conf.settings``.
"""

import os
import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_number(name: str, default: float | None, low: float, high: float, kind: type = int):
    """A number from the environment, within ``[low, high]``; a clear error otherwise."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, not {text!r}") from None
    if not low <= value <= high:
        raise ImproperlyConfigured(f"{name} must be between {low} and {high}, not {value}")
    return value


def env_rate(name: str, default: str) -> str:
    """Requests in a window, N/s, N/m, N/h or N/d; a clear error otherwise."""
    rate = os.environ.get(name, default).strip()
    if not re.fullmatch(r"\d+/(s|m|h|d)", rate):
        raise ImproperlyConfigured(f"{name} must be like 120/m (per s, m, h or d), not {rate!r}")
    return rate


def env_list(name: str, default: str = "", sep: str = ",") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(sep) if item.strip()]


def env_urls(name: str, default: str = "") -> list[str]:
    """Comma-separated http(s) base addresses, without a final slash; a clear error otherwise
    (an address without its scheme would fail at every request, long after the start)."""
    urls = [url.rstrip("/") for url in env_list(name, default)]
    for url in urls:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ImproperlyConfigured(
                f"{name}: each upstream is an http(s) address such as https://huggingface.co, "
                f"not {url!r}"
            )
    return urls
