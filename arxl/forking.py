"""Whether work may be shared with forked processes here: on Linux (the headless door on a
server) with two cores or more, in a run that has the machine's cores to itself. Elsewhere
(macOS, where forking a process that loaded system frameworks is unsafe; Windows, which cannot
fork; inside Excel), and in a run beside others (a batch of several workbooks at once, a cluster's
worker: the other cores are theirs, and forked helpers would only add memory), work stays in one
process. ``ARXL_FORK=0`` keeps every run in one process: a refresh of a large workbook then takes
longer but about half the memory (each helper's pages grow apart from its parent's as it works).
Threads that let go of the GIL (``threads_here``) are one per core, or one beside others.

A process about to fork keeps its large blocks apart (``before_forking``): glibc's malloc lets
the size from which a block gets fresh pages of its own float up (to 32 MB) once such a block is
freed, and the run's later arrays then reuse the heap's old pages. A child shares those pages
until they are written, and each one the run rewrites after the fork is copied: on the 100k
workbook, some 40 to 70 MB more with the children than with the size fixed at 4 MB."""
from __future__ import annotations

import ctypes
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager

_beside_others = 0  # runs in this process that leave the other cores to other runs
_M_MMAP_THRESHOLD = -3  # glibc's mallopt option: blocks from this size on get fresh pages (mmap)
APART_FROM = 4 << 20  # bytes
_apart = False


@contextmanager
def beside_others() -> Iterator[None]:
    """While held, this process forks no helpers."""
    global _beside_others
    _beside_others += 1
    try:
        yield
    finally:
        _beside_others -= 1


def fork_workers(most: int) -> int:
    """How many processes, this one included and at most ``most``, may share work here (1: this
    one alone)."""
    if _beside_others or not sys.platform.startswith("linux") or os.environ.get("ARXL_FORK", "").strip() == "0":
        return 1
    return max(1, min(os.cpu_count() or 1, most))


def threads_here() -> int:
    """How many threads this run may keep busy with work that lets go of the GIL (compressing a
    workbook's parts): one per core, or one beside other runs, whose cores those are."""
    return 1 if _beside_others else max(1, os.cpu_count() or 1)


def before_forking() -> None:
    """Keep blocks of ``APART_FROM`` bytes on in fresh pages from now on (glibc; elsewhere, and
    where it cannot be asked, nothing changes)."""
    global _apart
    if _apart:
        return
    _apart = True
    try:
        ctypes.CDLL(None).mallopt(_M_MMAP_THRESHOLD, APART_FROM)
    except (OSError, AttributeError):  # not glibc: no mallopt
        return
