"""Output paths checked before any work starts, and the settings record of a folder run.

A run that trains for minutes must not fail at the end on a path it could have refused at the
start: :func:`check_output_file` and :func:`check_output_folder` catch an unknown format, a
folder where a file is wanted (and the reverse), and a place that cannot be written, each as one
plain ``ValueError`` line naming the option and the path.

A folder run (``blindsr sr FOLDER -o OUT``) records its settings in ``OUT/`` (:data:`MANIFEST`),
so a rerun of the same command resumes (skips the images already written) while a rerun with
other settings is refused instead of silently keeping results made with the old ones.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path

from blindsr.image_io import atomic_output

__all__ = [
    "check_output_file",
    "check_output_folder",
    "check_distinct",
    "MANIFEST",
    "read_manifest",
    "write_manifest",
    "manifest_conflict",
]

MANIFEST = "blindsr-sr.json"


def _nearest_existing(path: Path) -> Path:
    current = path
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def _check_writable_place(option: str, path: Path) -> None:
    """The folder that will hold ``path`` exists or can be made, and can be written."""
    ancestor = _nearest_existing(path.parent)
    if not ancestor.is_dir():
        raise ValueError(f"{option} {path}: {ancestor} is a file, not a folder")
    if not os.access(ancestor, os.W_OK | os.X_OK):
        raise ValueError(f"{option} {path}: cannot write in {ancestor} (permission denied)")


def check_output_file(option: str, path: str | os.PathLike, suffixes: Iterable[str]) -> Path:
    """Refuse an output file that could not be written after a long run.

    Args:
        option: the option's name as the user typed it (``-o``, ``--report``...), for messages.
        path: the file to be written.
        suffixes: accepted suffixes (lower case, with the dot); empty accepts any.

    Raises:
        ValueError: an existing folder, an unknown suffix, a parent that is a file, or a place
            without write permission.
    """
    p = Path(path)
    allowed = tuple(suffixes)
    if p.is_dir():
        example = f"{p}/result{allowed[0] if allowed else ''}"
        raise ValueError(f"{option} {p} is a folder; give a file name, e.g. {example}")
    if allowed and p.suffix.lower() not in allowed:
        what = f"suffix {p.suffix!r}" if p.suffix else "no suffix"
        raise ValueError(f"{option} {p}: {what}; use one of {', '.join(allowed)}")
    if p.exists() and not os.access(p, os.W_OK):
        raise ValueError(f"{option} {p}: the file exists and is read-only")
    _check_writable_place(option, p)
    return p


def check_output_folder(option: str, path: str | os.PathLike) -> Path:
    """Refuse an output folder that is a file, or that could not be made or written in."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise ValueError(f"{option} {p} is a file; when LR is a folder this must be a folder")
    if p.is_dir():
        if not os.access(p, os.W_OK | os.X_OK):
            raise ValueError(f"{option} {p}: cannot write in it (permission denied)")
    else:
        _check_writable_place(option, p)
    return p


def check_distinct(paths: dict[str, Path | None]) -> None:
    """Two options must not name the same file (the second would overwrite the first)."""
    seen: dict[Path, str] = {}
    for option, path in paths.items():
        if path is None:
            continue
        key = Path(os.path.abspath(path))
        if key in seen:
            raise ValueError(f"{seen[key]} and {option} both write {path}; give each its own file")
        seen[key] = option


def read_manifest(folder: str | os.PathLike) -> dict | None:
    """The settings recorded in ``folder``, or None when there is no record."""
    path = Path(folder) / MANIFEST
    if not path.is_file():
        return None
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise ValueError(
            f"{path} is not a readable settings record; delete it or use --overwrite"
        ) from None


def write_manifest(folder: str | os.PathLike, settings: dict) -> Path:
    path = Path(folder) / MANIFEST
    with atomic_output(path) as tmp:
        tmp.write_text(json.dumps(settings, indent=1, sort_keys=True) + "\n")
    return path


def manifest_conflict(recorded: dict | None, settings: dict, done: int) -> str | None:
    """Why a rerun must not resume: settings that differ from the record, or outputs made with
    unrecorded settings. None when resuming is safe."""
    if recorded is None:
        if done:
            return (
                f"{done} output image(s) exist but the folder has no {MANIFEST} saying how they "
                "were made"
            )
        return None
    changed = [
        f"{key} {recorded.get(key)!r} -> {settings.get(key)!r}"
        for key in sorted(set(recorded) | set(settings))
        if key != "version" and recorded.get(key) != settings.get(key)
    ]
    if not changed:
        return None
    return "it holds results made with other settings (" + "; ".join(changed) + ")"


def check_sr_outputs(
    *,
    folder_mode: bool,
    inputs: Iterable[Path],
    output: Path,
    report: Path | None = None,
    plot: Path | None = None,
    compare: Path | None = None,
    kernel_out: Path | None = None,
    png: Path | None = None,
) -> None:
    """Every output option of ``blindsr sr``, checked before anything is read or trained.

    In folder mode each option names a folder (``<stem>.png/.json/.mat`` inside); otherwise a
    file whose suffix must be a format the writer knows.
    """
    from blindsr.image_io import IMAGE_SUFFIXES
    from blindsr.kernel_io import KERNEL_SUFFIXES

    options = {
        "-o": (output, IMAGE_SUFFIXES),
        "--report": (report, ()),
        "--plot": (plot, IMAGE_SUFFIXES),
        "--compare": (compare, IMAGE_SUFFIXES),
        "--kernel-out": (kernel_out, KERNEL_SUFFIXES),
        "--png": (png, (".png",)),
    }
    for option, (path, suffixes) in options.items():
        if path is None:
            continue
        if folder_mode:
            check_output_folder(option, path)
        else:
            check_output_file(option, path, suffixes)
    check_distinct({option: path for option, (path, _) in options.items()})
    inputs = [Path(os.path.abspath(p)) for p in inputs]
    for option, (path, _) in options.items():
        if path is not None and Path(os.path.abspath(path)) in inputs:
            raise ValueError(
                f"refusing to overwrite the input file {path}; choose another {option}"
            )
