"""bandit over a batch of files, shared between worker processes when the batch is large.

bandit is pure Python and holds the GIL; on a large diff its work splits by file across
processes. The workers are forked, so they start with bandit's plugins already loaded.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from ci_orch.gate.unsafe.bandit_py import BanditIssue, BanditRunner

Item = tuple[str, str, tuple[int, ...]]  # path, added text, its file line numbers
PARALLEL_BYTES = 2_000_000  # below this, starting worker processes costs more than it saves


def issues_many(
    runner: BanditRunner, items: Sequence[Item], *, parallel_bytes: int = PARALLEL_BYTES
) -> list[list[BanditIssue]]:
    """`runner.issues` of each item, in order; a batch of `parallel_bytes` or more is
    shared between processes."""
    workers = _workers(sum(len(text) for _, text, _ in items), parallel_bytes)
    if workers < 2:
        return [runner.issues(*item) for item in items]
    groups = _balanced(items, workers)
    results: list[list[BanditIssue]] = [[] for _ in items]
    # fork: the children inherit the loaded plugins; only when no other thread exists
    # (see _workers), since fork copies locks other threads may hold.
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker) as pool:
        jobs = [pool.submit(_work, [items[i] for i in group]) for group in groups]
        for group, job in zip(groups, jobs, strict=True):
            for i, found in zip(group, job.result(), strict=True):
                results[i] = found
    return results


def _workers(size: int, parallel_bytes: int) -> int:
    if size < parallel_bytes or threading.active_count() > 1:
        return 1
    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    return min(len(os.sched_getaffinity(0)), 4)


def _balanced(items: Sequence[Item], workers: int) -> list[list[int]]:
    """Item indexes in `workers` groups of about equal text size, largest first."""
    groups: list[list[int]] = [[] for _ in range(workers)]
    sizes = [0] * workers
    for i in sorted(range(len(items)), key=lambda i: -len(items[i][1])):
        smallest = sizes.index(min(sizes))
        groups[smallest].append(i)
        sizes[smallest] += len(items[i][1])
    return [g for g in groups if g]


# A worker process's own runner: made once per process by the pool's initializer.
_WORKER: list[BanditRunner] = []


def _start_worker() -> None:
    _WORKER.append(BanditRunner())


def _work(items: list[Item]) -> list[list[BanditIssue]]:
    return [_WORKER[0].issues(*item) for item in items]
