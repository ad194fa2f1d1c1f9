"""Reading back the output folder of a finished ``poisonguard scan --out DIR``.

Other parts of poisonguard consume a scan after the fact: the provenance ledger records its
verdicts (``provenance record --scan``), and ``poisonguard indicators export`` shares what it
found as STIX 2.1.  Both need the same things — the summary, where the kept and quarantined
shards are, and the label of each quarantined document — read the same way.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from poisonguard.io import CorpusReader, Document, ErrorRecord


@dataclass(frozen=True, slots=True)
class ScanDir:
    """A finished scan's output folder.

    Attributes:
        root: the folder.
        summary: ``summary.json`` (see ``docs/scan.md``).
        kept: paths of the kept corpus's shards, inside ``root``.
        quarantine: paths of the quarantine's shards, inside ``root``.
        finished: when the scan finished (the summary's modification time, UTC).
    """

    root: str
    summary: dict[str, Any]
    kept: list[str]
    quarantine: list[str]
    finished: datetime

    @property
    def version(self) -> str:
        """The poisonguard version that ran the scan (``""`` when not recorded)."""
        return str(self.summary.get("version") or "")

    def findings(self) -> Iterator[dict[str, Any]]:
        """The rows of ``findings.jsonl``: one verdict per flagged document."""
        path = os.path.join(self.root, "findings.jsonl")
        if not os.path.isfile(path):
            return
        with open(path, "rb") as f:
            for line in f:
                if line.strip():
                    yield orjson.loads(line)

    def labels(self) -> dict[str, str]:
        """Verdict label by document id for every flagged document."""
        return {str(row["id"]): str(row["label"]) for row in self.findings()}

    def documents(self, which: str) -> Iterator[Document | ErrorRecord]:
        """The documents of the ``"kept"`` or ``"quarantine"`` corpus, in order."""
        paths = self.kept if which == "kept" else self.quarantine
        if which not in ("kept", "quarantine"):
            raise ValueError(f"which must be 'kept' or 'quarantine', not {which!r}")
        if paths:
            yield from CorpusReader(paths)


def open_scan_dir(path: str | os.PathLike[str]) -> ScanDir:
    """Read a scan's output folder; ValueError (with the reason) when it is not one."""
    root = os.fspath(path)
    summary_path = os.path.join(root, "summary.json")
    try:
        with open(summary_path, "rb") as f:
            summary = orjson.loads(f.read())
        outputs = summary["outputs"]
        kept, quarantine = list(outputs["kept"]), list(outputs["quarantine"])
        finished = datetime.fromtimestamp(os.stat(summary_path).st_mtime, tz=UTC)
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError) as e:
        raise ValueError(
            f"{root} is not the output folder of a finished `poisonguard scan --out` "
            f"({summary_path}: {e})"
        ) from e

    def local(paths: list[str]) -> list[str]:
        # summary paths are as the scan saw them; the shards live in the scan folder
        return [os.path.join(root, os.path.basename(p)) for p in paths]

    return ScanDir(root, summary, local(kept), local(quarantine), finished)


__all__ = ["ScanDir", "open_scan_dir"]
