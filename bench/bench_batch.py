"""Throughput of ``arxl refresh`` over many small workbooks: one process, a local process pool,
and a local Dask cluster, side by side in one run (issue 14's figure).

    python bench/bench_batch.py [--books 200] [--jobs N] [--ways jobs1,jobsN,cluster] [--no-dask-profiler]
                                [--workdir DIR]

The workbooks are small but realistic demo entities (``arxl.demo``: 40 customers, 300 invoices
with six months of paid history, 30 new remittances, memo requests), ten different worlds
copied to ``--books`` files. Each way runs the real CLI in a child process on fresh copies, so
start-up, imports and the report count; a workbook not done fails the benchmark. The Dask
cluster (a ``dask scheduler`` and ``dask worker --nworkers N --nthreads 1`` on 127.0.0.1) is
started before its run is timed, as a shared-service centre keeps one running; its start-up is
printed apart. The load average is printed beside each figure: on a shared machine the cores
are not all the benchmark's, so the CPU seconds each workbook took (of every process of the run:
arxl, its pool, the Dask scheduler and workers) are printed too; they depend far less on the
load. ``--no-dask-profiler`` starts the workers without Dask's statistical profiler.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import psutil
from distributed import Client

from arxl.batch import default_jobs
from arxl.demo import write_demo

WORLDS = 10
SIZES = {"customers": 40, "invoices": 300, "payments": 30}


def templates(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for seed in range(1, WORLDS + 1):
        path = folder / f"world-{seed}.xlsx"
        if not path.exists():
            write_demo(path, seed=seed, **SIZES)
        made.append(path)
    return made


def fresh_books(worlds: list[Path], folder: Path, count: int) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    for n in range(count):
        shutil.copy(worlds[n % len(worlds)], folder / f"entity-{n:03d}.xlsx")
    return folder


def cpu_seconds(procs: list[subprocess.Popen[bytes]]) -> float:
    """CPU seconds used so far by ``procs`` and their descendants that still run, and by this
    process's children that were waited for (the arxl run and its pool)."""
    total = 0.0
    for proc in procs:
        for member in [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                times = member.cpu_times()
                total += times.user + times.system
    own = resource.getrusage(resource.RUSAGE_CHILDREN)
    return total + own.ru_utime + own.ru_stime


def timed(args: list[str], report: Path, books: int) -> float:
    """Run ``arxl ARGS --report REPORT`` in a child; seconds taken. Every workbook must be done."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "arxl.cli", "--quiet", *args, "--report", str(report)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seconds = time.perf_counter() - started
    run = json.loads(report.read_text()) if report.exists() else {}
    if done.returncode != 0 or run.get("done") != books:
        sys.exit(f"arxl {' '.join(args)} failed (exit {done.returncode}, {run.get('done')} of {books} done):\n"
                 f"{done.stderr[-3000:]}")
    return seconds


def start_cluster(workers: int, logs: Path, profiler: bool) -> tuple[str, list[subprocess.Popen[bytes]], float]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    address = f"tcp://127.0.0.1:{port}"
    dask = shutil.which("dask", path=str(Path(sys.executable).parent)) or "dask"
    log = logs.open("w")
    env = dict(os.environ, DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=str(profiler))
    started = time.perf_counter()
    procs = [subprocess.Popen([dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
                              stdout=log, stderr=subprocess.STDOUT)]
    procs.append(subprocess.Popen([dask, "worker", address, "--nworkers", str(workers), "--nthreads", "1",
                                   "--host", "127.0.0.1", "--no-dashboard"],
                                  stdout=log, stderr=subprocess.STDOUT, env=env))
    with Client(address, timeout=120) as client:
        client.wait_for_workers(workers, timeout=120)
    return address, procs, time.perf_counter() - started


def stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in reversed(procs):
        proc.terminate()
    for proc in procs:
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--books", type=int, default=200, help="how many workbooks (default 200)")
    parser.add_argument("--jobs", type=int, default=default_jobs(), help="processes and Dask workers (default: cores)")
    parser.add_argument("--ways", default="jobs1,jobsN,cluster", help="which runs (default: all three)")
    parser.add_argument("--no-dask-profiler", action="store_true", help="Dask workers without their profiler")
    parser.add_argument("--workdir", type=Path, help="where to work (default: a temporary folder)")
    args = parser.parse_args()
    ways = args.ways.split(",")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="arxl-bench-batch-"))
    worlds = templates(work / "worlds")
    books = work / "books"
    size = sum(p.stat().st_size for p in worlds) / len(worlds) / 1e3
    print(f"{args.books} workbooks of {SIZES['customers']} customers, {SIZES['invoices']} invoices, "
          f"{SIZES['payments']} new payments (about {size:.0f} kB each), {WORLDS} worlds; {os.cpu_count()} cores, "
          f"--jobs {args.jobs}")
    print(f"{'command':72} {'seconds':>8} {'books/min':>10} {'CPU s/book':>10} {'load before/after':>18}")

    def measure(label: str, extra: list[str], procs: Sequence[subprocess.Popen[bytes]] = ()) -> None:
        fresh_books(worlds, books, args.books)
        before, cpu = os.getloadavg()[0], cpu_seconds(list(procs))
        seconds = timed(["refresh", str(books), *extra], work / "report.json", args.books)
        after, cpu = os.getloadavg()[0], cpu_seconds(list(procs)) - cpu
        print(f"{label:72} {seconds:8.1f} {args.books / seconds * 60:10.1f} {cpu / args.books:10.2f} "
              f"{before:8.1f} / {after:7.1f}", flush=True)

    if "jobs1" in ways:
        measure("arxl refresh BOOKS --jobs 1", ["--jobs", "1"])
    if "jobsN" in ways:
        measure(f"arxl refresh BOOKS --jobs {args.jobs}", ["--jobs", str(args.jobs)])
    if "cluster" in ways:
        profiler = not args.no_dask_profiler
        address, procs, startup = start_cluster(args.jobs, work / "dask.log", profiler)
        try:
            measure(f"arxl refresh BOOKS --cluster {address} ({args.jobs} workers x 1 thread, "
                    f"profiler {'on' if profiler else 'off'})", ["--cluster", address], procs)
        finally:
            stop(procs)
        print(f"(the Dask scheduler and {args.jobs} workers took {startup:.1f} s to start, not counted above)")


if __name__ == "__main__":
    main()
