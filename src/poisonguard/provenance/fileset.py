"""The file-set rule of ``verify``: every regular file under a verified path is either
verified content or an error.

Training loaders read whole folders (``os.walk``, ``Path.rglob``, recursive ``glob``,
``datasets.load_dataset("json", data_dir=...)``), hidden files and files with
metadata-like names included, and follow symbolic links.  The reader ``verify`` uses skips
some of those, so a file the trainer reads but ``verify`` did not would be unverified
training data.  :func:`check_file_set` walks each given path itself (hidden entries
included, links not followed) and reports as a problem, by name:

* a regular file the corpus reader did not read (hidden, metadata-like name, unknown),
* a symbolic link (to a file or a folder) anywhere under a verified folder,
* anything that is not a regular file (FIFO, socket, device) — never opened,
* a file that cannot be read,
* a data file the reader was sent to by dataset metadata (``state.json``,
  ``dataset_dict.json``) that lies outside the given paths.

Hugging Face ``save_to_disk`` folders may hold their three metadata files
(``dataset_dict.json``, ``state.json``, ``dataset_info.json``) at the top and in each
split folder; those are listed as metadata, any other unread file is an error.
"""

from __future__ import annotations

import glob
import os
import stat
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HF_METADATA = ("dataset_dict.json", "state.json", "dataset_info.json")


@dataclass
class FileSet:
    """Result of :func:`check_file_set`: the files found and the problems."""

    files: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    snapshot: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    builtin: int = 0  # built-in corpora given (embedded in the package: no files)

    @property
    def ok(self) -> bool:
        return not self.problems and (bool(self.files) or self.builtin > 0)


def _expand(paths: Iterable[str]) -> list[str]:
    out: list[str] = []
    for p in paths:
        if any(ch in p for ch in "*?[") and not os.path.lexists(p):
            out.extend(sorted(glob.glob(p, recursive=True)))
        else:
            out.append(p)
    return out


def _hf_meta_dirs(root: Path) -> set[Path]:
    """Folders of an HF ``save_to_disk`` tree where metadata files are expected."""
    dirs: set[Path] = set()
    if (root / "state.json").is_file() or (root / "dataset_dict.json").is_file():
        dirs.add(root)
        for child in root.iterdir():
            if child.is_dir() and not child.is_symlink() and (child / "state.json").is_file():
                dirs.add(child)
    return dirs


def check_file_set(paths: Iterable[str], read_files: Iterable[str]) -> FileSet:
    """Walk ``paths`` and compare every entry with ``read_files`` (what the reader read).

    ``read_files`` are the reader's source paths; see the module docstring for the rule.
    """
    fs = FileSet()
    read = {os.path.realpath(f) for f in read_files if f != "-"}
    given = _expand([str(p) for p in paths])
    roots: list[str] = []

    def note(path: str, st: os.stat_result, kind: str) -> None:
        fs.files.append({"path": path, "bytes": st.st_size, "kind": kind})
        fs.snapshot[path] = (st.st_size, st.st_mtime_ns, st.st_ino)

    def regular(path: str, st: os.stat_result, meta_ok: bool) -> None:
        if not os.access(path, os.R_OK):
            fs.problems.append(f"{path}: cannot be read")
            return
        if os.path.realpath(path) in read:
            note(path, st, "data")
        elif meta_ok:
            note(path, st, "metadata")
        else:
            base = os.path.basename(path)
            why = (
                "hidden file"
                if any(part.startswith(".") for part in Path(path).parts[1:])
                else "metadata-like name"
                if base in HF_METADATA or (base.endswith(".json") and "info" in base)
                else "not a corpus file the reader read"
            )
            fs.problems.append(f"{path}: {why}; a loader reading the folder would train on it")

    for p in given:
        if p == "-":
            fs.problems.append("standard input has no file set to verify")
            continue
        if p.startswith("builtin:"):  # embedded in the package: no files to walk
            fs.builtin += 1
            continue
        try:
            st = os.lstat(p)
        except OSError as e:
            fs.problems.append(f"{p}: {e.strerror or e}")
            continue
        if stat.S_ISLNK(st.st_mode):
            try:
                st = os.stat(p)
            except OSError as e:
                fs.problems.append(f"{p}: broken symbolic link ({e.strerror or e})")
                continue
        if stat.S_ISDIR(st.st_mode):
            root = os.path.realpath(p)
            roots.append(root)
            meta_dirs = {str(d) for d in _hf_meta_dirs(Path(root))}
            for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
                for d in sorted(dirnames):
                    full = os.path.join(dirpath, d)
                    if os.path.islink(full):
                        fs.problems.append(
                            f"{full}: symbolic link to a folder ({os.path.realpath(full)}); "
                            "loaders that follow links would read it"
                        )
                for name in sorted(filenames):
                    full = os.path.join(dirpath, name)
                    try:
                        fst = os.lstat(full)
                    except OSError as e:
                        fs.problems.append(f"{full}: {e.strerror or e}")
                        continue
                    if stat.S_ISLNK(fst.st_mode):
                        fs.problems.append(
                            f"{full}: symbolic link (to {os.path.realpath(full)}); "
                            "links are not allowed in a verified folder"
                        )
                    elif not stat.S_ISREG(fst.st_mode):
                        fs.problems.append(f"{full}: not a regular file (FIFO, socket or device)")
                    else:
                        regular(full, fst, name in HF_METADATA and dirpath in meta_dirs)
        elif stat.S_ISREG(st.st_mode):
            roots.append(os.path.realpath(p))
            regular(p, st, False)
        else:
            fs.problems.append(f"{p}: not a regular file (FIFO, socket or device); not opened")
    for f in sorted(read):
        if not any(f == r or f.startswith(r.rstrip(os.sep) + os.sep) for r in roots):
            fs.problems.append(
                f"{f}: read because dataset metadata points to it, but it lies outside "
                "the verified paths"
            )
    return fs


def changed_since(before: FileSet, after: FileSet) -> list[str]:
    """Files added, removed or modified between two walks (e.g. while the corpus was read)."""
    out = []
    for path in sorted(set(before.snapshot) | set(after.snapshot)):
        a, b = before.snapshot.get(path), after.snapshot.get(path)
        if a != b:
            what = "appeared" if a is None else "disappeared" if b is None else "changed"
            out.append(f"{path}: {what} while the corpus was being verified")
    return out
