"""Who holds a lease: "host:pid:nonce" names a process, so that a lease taken by a process that
was killed (SIGKILL, power cut) can be taken over at once instead of when it times out."""

from __future__ import annotations

import os
import socket
import uuid


def holder_name() -> str:
    """A name for a lease holder in this process."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def is_dead(holder: str) -> bool:
    """Whether ``holder`` was a process on this machine that no longer runs."""
    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
