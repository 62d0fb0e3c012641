"""Run independent tasks serially, in local processes or as Ray tasks, one result at a time.

The one executor behind ``blindsr bench`` (one task per benchmark unit) and ``blindsr sr
FOLDER`` (one task per image). ``fn`` must be a module-level function (it is pickled for spawned
processes and Ray); its results come back to the caller, which alone writes shared files, so
parallel tasks never interleave writes. Local processes are spawned, not forked: a parent that has
already run autograd or touched CUDA cannot be forked safely (torch raises in the child).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed

__all__ = ["run_tasks"]


def _set_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def _exit_with_parent(parent: int, interval: float = 0.5) -> None:
    """End this worker soon after ``parent`` exits, whatever killed it.

    A pool's workers outlive a parent killed by a signal (SIGTERM, SIGKILL, a closed terminal):
    they finish the unit they hold, minutes of work on every core nobody will read. A daemon
    thread polls the parent (portable, unlike Linux's ``PR_SET_PDEATHSIG``) and ends the
    process without cleanup, as the signal would have done.
    """

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()


def _worker_init(threads: int, parent: int) -> None:
    _exit_with_parent(parent)
    os.environ["OMP_NUM_THREADS"] = str(threads)
    _set_threads(threads)


def run_tasks(
    fn: Callable,
    tasks: Sequence[tuple],
    *,
    on_done: Callable[[object], None],
    workers: int = 1,
    threads: int | None = None,
    ray_address: str | None = None,
    gpus_per_task: float = 0,
) -> None:
    """Call ``fn(*task)`` for every task and ``on_done(result)`` as each one finishes.

    Args:
        fn: a module-level function.
        tasks: argument tuples, one per task.
        on_done: called in this process with each result, in completion order.
        workers: local processes (1 = in this process, in task order).
        threads: torch threads per process (default: cores // workers for local processes).
        ray_address: ``'auto'`` (an existing cluster, else a local instance), ``'local'`` or an
            address: run the tasks as Ray tasks of one CPU each instead.
        gpus_per_task: GPUs Ray reserves per task.
    """
    if ray_address is not None:
        _run_ray(fn, tasks, on_done=on_done, address=ray_address, gpus=gpus_per_task)
        return
    if workers <= 1:
        if threads is not None:
            _set_threads(threads)
        for task in tasks:
            on_done(fn(*task))
        return
    threads = threads or max(1, (os.cpu_count() or 1) // workers)
    with ProcessPoolExecutor(
        max_workers=workers,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_worker_init,
        initargs=(threads, os.getpid()),
    ) as pool:
        futures = [pool.submit(fn, *task) for task in tasks]
        for future in as_completed(futures):
            on_done(future.result())


def _run_ray(
    fn: Callable, tasks: Iterable[tuple], *, on_done: Callable, address: str, gpus: float
) -> None:
    try:
        import ray
    except ImportError:
        raise ValueError("--ray needs Ray: pip install 'blindsr[ray]'") from None
    started_here = not ray.is_initialized()
    if started_here:
        options = dict(include_dashboard=False, log_to_driver=False)
        if address == "auto":
            try:  # an existing cluster if there is one, else a local instance
                ray.init(address="auto", **options)
            except ConnectionError:
                ray.init(**options)
        else:
            ray.init(address=None if address == "local" else address, **options)
    remote = ray.remote(num_cpus=1, num_gpus=gpus)(fn)
    pending = [remote.remote(*task) for task in tasks]
    try:
        while pending:
            done, pending = ray.wait(pending, num_returns=1)
            for ref in done:
                on_done(ray.get(ref))
    finally:
        if started_here:
            ray.shutdown()
