"""The executor's local pool: workers never outlive the process that started them."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")

_PARENT = """
import time
from blindsr.eval.executor import run_tasks
run_tasks(time.sleep, [(120,), (120,)], on_done=print, workers=2, threads=1)
"""


def _state(pid: int) -> tuple[int, str] | None:
    """(parent pid, state letter) of a live process, None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # the command name may hold spaces
    return int(fields[1]), fields[0]


def _spawned_children(parent: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        state = _state(int(entry.name))
        try:
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if state is not None and state[0] == parent and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def _alive(pid: int) -> bool:
    state = _state(pid)
    return state is not None and state[1] != "Z"


def test_workers_exit_when_the_parent_is_killed():
    parent = subprocess.Popen([sys.executable, "-c", _PARENT])
    try:
        deadline = time.monotonic() + 60
        workers = _spawned_children(parent.pid)
        while len(workers) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
            workers = _spawned_children(parent.pid)
        assert len(workers) == 2, f"pool did not start: {workers}"
        time.sleep(1.0)  # let the workers get into their initialiser or their task
    finally:
        parent.kill()  # SIGKILL: no cleanup in the parent, as with a killed terminal
        parent.wait()
    # The tasks sleep for 120 s; a worker that outlives its parent would still be here.
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in workers if _alive(pid)]
