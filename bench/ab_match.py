"""Compare the matcher's processor time with another commit's, in one process, alternating.

    python bench/ab_match.py [REF] [--book BOOK] [--chunk N]     (REF: default main)

On a machine shared with other work the processor seconds of one run vary by a tenth and more
with the others' load, as much as a change of the matcher may save. Here both versions run in
this process: REF's ``arxl`` package (``git archive``, imports renamed to ``arxl_ref``) and the
checkout's. Each reads the open items of bench_match.py's ledger, then both propose for the
same payments, chunk by chunk, taking turns which goes first, so that both meet the same load.
Prints one JSON line: each version's processor seconds for reading the open items (once) and
for the proposals of every payment against the balances before the batch (``propose``: the part
the worker processes share), and the ratio.
"""
from __future__ import annotations

import argparse
import gc
import importlib
import io
import json
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

from generated import match_inputs

from arxl.core.matching import read_payments

ROOT = Path(__file__).resolve().parents[1]


def checkout_as(ref: str, folder: Path, name: str) -> None:
    """REF's arxl package written into ``folder/name``, every import of arxl renamed."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", ref, "arxl"], check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(folder, filter="data")
    (folder / "arxl").rename(folder / name)
    for path in (folder / name).rglob("*.py"):
        path.write_text(re.sub(r"\barxl\.", f"{name}.", re.sub(r"\b(from|import) arxl\b", rf"\1 {name}",
                                                                path.read_text())))


def prepare(package: str, inputs: tuple[Any, ...]) -> tuple[Any, list[Any], Any, ModuleType, float]:
    """One version's open items, payments and facts, as ``match`` makes them; and the processor
    seconds reading the open items took. (The payments as the checkout reads them, in that
    version's own Payment; the workbook's links in its own Links.)"""
    todo, invoices, customers, settings, open_balance, disputed, history = inputs
    index = importlib.import_module(f"{package}.core.matching.index")
    propose = importlib.import_module(f"{package}.core.matching.propose")
    learning = importlib.import_module(f"{package}.core.matching.learning")
    started = time.process_time()
    items, _ = index.read_open_items(invoices, customers, settings, open_balance, disputed, history)
    read = time.process_time() - started
    payments = [propose.Payment(**vars(pay)) for pay in read_payments(todo, settings.base_currency)]
    links = learning.Links(dict(history.links.links), dict(history.links.removed), set(history.links.ambiguous))
    return items, payments, propose.Facts(links), propose, read


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ref", nargs="?", default="main")
    parser.add_argument("--book", type=Path)
    parser.add_argument("--chunk", type=int, default=250)
    args = parser.parse_args()
    inputs = match_inputs(args.book)
    with tempfile.TemporaryDirectory() as tmp:
        checkout_as(args.ref, Path(tmp), "arxl_ref")
        sys.path.insert(0, tmp)
        versions = {args.ref: prepare("arxl_ref", inputs), "checkout": prepare("arxl", inputs)}
    gc.disable()  # as match runs: collections_paused
    spent = dict.fromkeys(versions, 0.0)
    total = len(versions["checkout"][1])
    for k, start in enumerate(range(0, total, args.chunk)):
        for name in (list(versions) if k % 2 == 0 else list(versions)[::-1]):
            items, pays, facts, propose, _ = versions[name]
            open_now = items.balance.copy()
            started = time.process_time()
            for pay in pays[start:start + args.chunk]:
                propose.propose(items, pay, open_now, facts)
            spent[name] += time.process_time() - started
    print(json.dumps({"payments": total, "read_open_items_cpu_s": {n: round(v[4], 2) for n, v in versions.items()},
                      "propose_cpu_s": {n: round(v, 2) for n, v in spent.items()},
                      "propose_ratio": round(spent["checkout"] / spent[args.ref], 3)}))


if __name__ == "__main__":
    main()
