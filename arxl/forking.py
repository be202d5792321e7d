"""Whether work may be shared with forked processes here: on Linux (the headless door on a
server) with two cores or more. Elsewhere (macOS, where forking a process that loaded system
frameworks is unsafe; Windows, which cannot fork; inside Excel) work stays in one process."""
from __future__ import annotations

import os
import sys


def fork_workers(most: int) -> int:
    """How many processes, this one included and at most ``most``, may share work here (1: this
    one alone)."""
    if not sys.platform.startswith("linux"):
        return 1
    return max(1, min(os.cpu_count() or 1, most))
