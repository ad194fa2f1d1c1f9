"""in-toto Statement v1 builders: dataset manifest attestation, SLSA v1 provenance, SVR.

* :func:`dataset_statement`: subject = the manifest file (name + sha256); predicate =
  Merkle root, record count, hash algorithm, the policy (uri + sha256), creation and expiry
  times.  Predicate type :data:`MANIFEST_PREDICATE`.
* :func:`slsa_provenance`: SLSA v1 provenance of a scan/filter run: subjects are the output
  manifests, ``resolvedDependencies`` the input manifests (sha256 + Merkle root).
* :func:`svr_statements`: one in-toto Simple Verification Result (``svr/v0.1``) per
  filter/scan stage of the run, over the output manifests.

A run is described by a small JSON file (:func:`load_run`)::

    {"invocation_id": "scan-2026-11-28-1", "started_on": "...Z", "finished_on": "...Z",
     "command": ["poisonguard", "scan", "web.jsonl.gz"], "parameters": {"threshold": 0.9},
     "inputs":  [{"name": "web", "manifest": "in/manifest.jsonl"}],
     "outputs": [{"name": "web-kept", "manifest": "out/manifest.jsonl"}],
     "stages":  [{"name": "gibberish", "version": "1", "documents": 2993, "removed": 4}]}

Manifest paths are relative to the run file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from poisonguard import __version__
from poisonguard.provenance.lineage import iso, parse_time, utc_now
from poisonguard.provenance.manifest import HASH_ALGORITHM, check_manifest

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
MANIFEST_PREDICATE = "https://poisonguard.dev/attestation/dataset-manifest/v1"
SLSA_PREDICATE = "https://slsa.dev/provenance/v1"
SVR_PREDICATE = "https://in-toto.io/attestation/svr/v0.1"
BUILDER_ID = f"https://poisonguard.dev/cli/v{__version__}"
RUN_BUILD_TYPE = "https://poisonguard.dev/run/v1"


def dataset_statement(
    *,
    manifest_name: str,
    manifest_sha256: str,
    merkle_root: str,
    records: int,
    policy_uri: str,
    policy_sha256: str,
    created_at: datetime | None = None,
    expires_at: datetime | None = None,
    corpus: str | None = None,
    release_version: int | None = None,
) -> dict[str, Any]:
    """The in-toto statement a dataset's signers sign (see module docstring).

    ``release_version`` (``predicate.releaseVersion``) numbers the releases of one corpus,
    increasing; a policy's ``min_release_version`` refuses older (withdrawn) ones.
    """
    created = created_at or utc_now()
    predicate: dict[str, Any] = {
        "merkleRoot": {"sha256": merkle_root},
        "treeSize": records,
        "recordCount": records,
        "hashAlgorithm": HASH_ALGORITHM,
        "policy": {"uri": policy_uri, "digest": {"sha256": policy_sha256}},
        "createdAt": iso(created),
        "generator": {"name": "poisonguard", "version": __version__},
    }
    if expires_at is not None:
        predicate["expiresAt"] = iso(expires_at)
    if corpus:
        predicate["corpus"] = {"name": corpus}
    if release_version is not None:
        if isinstance(release_version, bool) or release_version < 1:
            raise ValueError("the release version must be a positive integer")
        predicate["releaseVersion"] = release_version
    return {
        "_type": STATEMENT_TYPE,
        "subject": [{"name": manifest_name, "digest": {"sha256": manifest_sha256}}],
        "predicateType": MANIFEST_PREDICATE,
        "predicate": predicate,
    }


@dataclass
class ManifestRef:
    """A manifest named in a run: name, path and its digest/root/count."""

    name: str
    path: Path
    sha256: str = ""
    root: str = ""
    records: int = 0

    def descriptor(self) -> dict[str, Any]:
        """An in-toto ResourceDescriptor for it."""
        return {
            "name": self.name,
            "uri": self.path.as_uri(),
            "digest": {"sha256": self.sha256},
            "annotations": {
                "merkleRoot": self.root,
                "records": self.records,
                "hashAlgorithm": HASH_ALGORITHM,
            },
        }


@dataclass
class RunDescription:
    """A scan/filter run to attest (see module docstring)."""

    invocation_id: str
    started_on: str
    finished_on: str
    command: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)
    inputs: list[ManifestRef] = field(default_factory=list)
    outputs: list[ManifestRef] = field(default_factory=list)
    stages: list[dict[str, Any]] = field(default_factory=list)


def _refs(items: Any, base: Path, where: str) -> list[ManifestRef]:
    if not isinstance(items, list):
        raise ValueError(f"run.{where} must be a list")
    out = []
    for i, it in enumerate(items):
        if not isinstance(it, dict) or not isinstance(it.get("manifest"), str):
            raise ValueError(f"run.{where}[{i}] needs a 'manifest' path")
        path = (base / it["manifest"]).resolve()
        if not path.is_file():
            raise ValueError(f"run.{where}[{i}]: no such manifest {path}")
        chk = check_manifest(path)
        if not chk.ok:
            raise ValueError(f"run.{where}[{i}]: manifest {path} is not valid: {chk.problems[0]}")
        out.append(
            ManifestRef(str(it.get("name") or path.name), path, chk.sha256, chk.root, chk.count)
        )
    return out


def load_run(path: str | os.PathLike[str]) -> RunDescription:
    """Read a run description; manifests are hashed and checked.  Raises ValueError."""
    try:
        return _load_run(Path(path))
    except (TypeError, AttributeError, RecursionError) as e:  # wrong types in the JSON
        raise ValueError(f"run description {path} is malformed: {e}") from e


def _load_run(p: Path) -> RunDescription:
    data = orjson.loads(p.read_bytes())
    if not isinstance(data, dict):
        raise ValueError("run description must be a JSON object")
    if not isinstance(data.get("command", []), list) or not isinstance(
        data.get("parameters", {}), dict
    ):
        raise ValueError("run.command must be a list and run.parameters an object")
    base = p.resolve().parent
    for key in ("started_on", "finished_on"):
        if key in data:
            parse_time(data[key])
    stages = data.get("stages", [])
    if not isinstance(stages, list) or not all(
        isinstance(s, dict) and isinstance(s.get("name"), str) for s in stages
    ):
        raise ValueError("run.stages must be a list of objects with a 'name'")
    now = iso(utc_now())
    return RunDescription(
        invocation_id=str(data.get("invocation_id") or f"{p.stem}-{now}"),
        started_on=str(data.get("started_on", now)),
        finished_on=str(data.get("finished_on", now)),
        command=[str(x) for x in data.get("command", [])],
        parameters=dict(data.get("parameters", {})),
        inputs=_refs(data.get("inputs", []), base, "inputs"),
        outputs=_refs(data.get("outputs", []), base, "outputs"),
        stages=stages,
    )


def _subjects(run: RunDescription) -> list[dict[str, Any]]:
    if not run.outputs:
        raise ValueError("the run has no output manifests to attest")
    return [{"name": o.name, "digest": {"sha256": o.sha256}} for o in run.outputs]


def slsa_provenance(run: RunDescription) -> dict[str, Any]:
    """SLSA v1 provenance statement for a scan/filter run."""
    return {
        "_type": STATEMENT_TYPE,
        "subject": _subjects(run),
        "predicateType": SLSA_PREDICATE,
        "predicate": {
            "buildDefinition": {
                "buildType": RUN_BUILD_TYPE,
                "externalParameters": {"command": run.command, "parameters": run.parameters},
                "internalParameters": {"stages": run.stages},
                "resolvedDependencies": [i.descriptor() for i in run.inputs],
            },
            "runDetails": {
                "builder": {"id": BUILDER_ID, "version": {"poisonguard": __version__}},
                "metadata": {
                    "invocationId": run.invocation_id,
                    "startedOn": run.started_on,
                    "finishedOn": run.finished_on,
                },
                "byproducts": [o.descriptor() for o in run.outputs],
            },
        },
    }


def _prop(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name).upper()


def svr_statements(run: RunDescription) -> list[dict[str, Any]]:
    """One in-toto SVR statement per stage of the run, over the output manifests."""
    out = []
    for stage in run.stages:
        name, version = stage["name"], str(stage.get("version", ""))
        props = [f"POISONGUARD_STAGE_{_prop(name)}_APPLIED"]
        if stage.get("result", "pass") in ("pass", "passed", "ok"):
            props.append(f"POISONGUARD_STAGE_{_prop(name)}_PASSED")
        out.append(
            {
                "_type": STATEMENT_TYPE,
                "subject": _subjects(run),
                "predicateType": SVR_PREDICATE,
                "predicate": {
                    "verifier": {
                        "id": f"https://poisonguard.dev/stage/{name}"
                        + (f"/v{version}" if version else ""),
                        "poisonguard": {"stage": stage, "invocationId": run.invocation_id},
                    },
                    "timeCreated": run.finished_on,
                    "properties": props,
                },
            }
        )
    return out
