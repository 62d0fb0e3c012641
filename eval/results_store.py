"""Append-only JSON-lines results file that survives being killed at any point.

Each finished unit is one line written with a single ``write`` followed by ``fsync``. On open, a
trailing line without its newline (a write cut short by ``kill -9``) is dropped from the file,
so the file always holds whole rows and a re-run recomputes only the lost unit.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

__all__ = ["ResultsStore", "unit_key"]


def unit_key(image: str, method: str, seed: int, repeat: int) -> tuple[str, str, int, int]:
    return (image, method, int(seed), int(repeat))


class ResultsStore:
    """``OUT/results.jsonl``: rows keyed by (image, method, seed, repeat)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.rows: list[dict] = []
        if self.path.exists():
            data = self.path.read_bytes()
            complete = data[: data.rfind(b"\n") + 1]
            if len(complete) != len(data):
                with self.path.open("r+b") as fh:  # drop the torn last line
                    fh.truncate(len(complete))
            for line in complete.decode("utf-8").splitlines():
                if line.strip():
                    self.rows.append(json.loads(line))

    def done(self) -> set[tuple[str, str, int, int]]:
        return {unit_key(r["image"], r["method"], r["seed"], r["repeat"]) for r in self.rows}

    def append(self, row: dict) -> None:
        line = (json.dumps(row, sort_keys=True) + "\n").encode("utf-8")
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        self.rows.append(row)
