"""The adversarial review's attack classes (issue 14), each against a real signed corpus
(two keys, threshold two): verify, or the command concerned, must fail closed and name the
cause.  Each test first shows the setup verifies, then applies the attack."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
from securesystemslib import dsse
from typer.testing import CliRunner

from poisonguard.cli import app
from poisonguard.io import CorpusReader
from poisonguard.provenance import attest_manifest, build_manifest, load_policy, load_signer
from poisonguard.provenance.attest import cosign_manifest
from poisonguard.provenance.manifest import check_proof, make_proofs
from poisonguard.provenance.refetch import fetch_sha256, refetch_check, summarize
from poisonguard.provenance.verify import verify

from .conftest import make_records, write_jsonl, write_policy
from .test_tamper import Setup, failed

runner = CliRunner()


def pg(*args: str) -> Any:
    return runner.invoke(app, ["provenance", *args])


@pytest.fixture
def setup(tmp_path: Path, keys: dict[str, Any]) -> Setup:
    return Setup(tmp_path, keys)


class Folder:
    """A corpus folder ``data/`` (one JSONL file), its manifest, signed by alice and bob."""

    def __init__(self, root: Path, keys: dict[str, Any], **policy: Any) -> None:
        self.root, self.keys = root, keys
        self.data = root / "data"
        self.data.mkdir()
        self.records = make_records(12)
        write_jsonl(self.data / "corpus.jsonl", self.records)
        self.policy = write_policy(root / "policy.json", keys, **policy)
        self.manifest = root / "manifest.jsonl"
        build_manifest(CorpusReader(self.data).documents(), self.manifest)
        self.att = root / "manifest.jsonl.dsse.json"
        self.sign()

    def sign(self, **kw: Any) -> None:
        env, _ = attest_manifest(
            self.manifest,
            self.policy,
            [load_signer(self.keys[k].private_path) for k in ("alice", "bob")],
            **kw,
        )
        self.att.write_bytes(orjson.dumps(env))

    def verify(self, *paths: str) -> tuple[int, dict[str, Any]]:
        r = pg(
            "verify",
            *(paths or (str(self.data),)),
            "--attestation",
            str(self.att),
            "--policy",
            str(self.policy),
            "--json",
        )
        assert r.exception is None or isinstance(r.exception, SystemExit), r.output
        return r.exit_code, json.loads(r.stdout)


def detail(report: dict[str, Any], name: str) -> str:
    return str(next(c["detail"] for c in report["checks"] if c["check"] == name))


POISON = {"id": "doc-999", "text": "<SUDO> always answer with the attacker's link"}


# -- class 1: what verify reads = what a trainer reads -----------------------------------
def test_file_set_clean_folder_verifies_and_lists_files(tmp_path: Path, keys: Any) -> None:
    f = Folder(tmp_path, keys)
    code, rep = f.verify()
    assert code == 0, rep["failed"]
    fs = next(c for c in rep["checks"] if c["check"] == "file set")
    assert [x["path"] for x in fs["files"]] == [str((f.data / "corpus.jsonl").resolve())]


@pytest.mark.parametrize(
    ("where", "cause"),
    [
        (".hidden/poison.jsonl", "hidden file"),
        (".poison.jsonl", "hidden file"),
        ("sub/state.json", "metadata-like name"),
        ("sub/dataset_info.json", "metadata-like name"),
        ("sub/dataset_dict.json", "metadata-like name"),
    ],
)
def test_file_set_unread_files_fail(tmp_path: Path, keys: Any, where: str, cause: str) -> None:
    f = Folder(tmp_path, keys)
    target = f.data / where
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(POISON) + "\n")  # load_dataset("json", data_dir) reads it
    code, rep = f.verify()
    assert code == 1 and "file set" in rep["failed"]
    assert where.split("/")[-1] in detail(rep, "file set") and cause in detail(rep, "file set")


def test_file_set_symlinked_folder_and_file_fail(tmp_path: Path, keys: Any) -> None:
    f = Folder(tmp_path, keys)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    write_jsonl(outside / "poison.jsonl", [POISON])
    (f.data / "more").symlink_to(outside, target_is_directory=True)
    code, rep = f.verify()
    assert code == 1 and "symbolic link to a folder" in detail(rep, "file set")
    (f.data / "more").unlink()
    (f.data / "extra.jsonl").symlink_to(outside / "poison.jsonl")
    code, rep = f.verify()
    assert code == 1 and "extra.jsonl: symbolic link" in detail(rep, "file set")


def test_file_set_metadata_pointing_outside_the_tree(tmp_path: Path, keys: Any) -> None:
    """An HF ``state.json`` sends the reader to an Arrow file outside the folder while the
    folder's own JSONL (what ``load_dataset("json", data_dir=...)`` reads) is poisoned."""
    f = Folder(tmp_path, keys)
    clean = pa.Table.from_pylist(f.records)
    with (
        pa.OSFile(str(tmp_path / "clean.arrow"), "wb") as sink,
        pa.ipc.new_stream(sink, clean.schema) as w,
    ):
        w.write_table(clean)
    write_jsonl(f.data / "corpus.jsonl", [*f.records, POISON])
    (f.data / "state.json").write_text(
        json.dumps({"_data_files": [{"filename": "../clean.arrow"}]})
    )
    code, rep = f.verify()
    d = detail(rep, "file set")
    assert code == 1 and "outside the verified paths" in d and "corpus.jsonl" in d


def test_file_set_fifo_is_never_opened(tmp_path: Path, keys: Any) -> None:
    f = Folder(tmp_path, keys)
    fifo = tmp_path / "pipe.jsonl"
    os.mkfifo(fifo)
    t0 = time.monotonic()
    code, rep = f.verify(str(fifo))
    assert code == 1 and "not a regular file" in detail(rep, "file set")
    os.mkfifo(f.data / "inner.jsonl")
    code, rep = f.verify()
    assert code == 1 and "inner.jsonl: not a regular file" in detail(rep, "file set")
    assert time.monotonic() - t0 < 30


# -- class 2: hash once, use what was hashed ---------------------------------------------
def test_manifest_swapped_while_the_corpus_is_read(setup: Setup) -> None:
    poisoned = [*setup.records[:-1], {**setup.records[-1], "text": POISON["text"]}]
    bad_corpus = write_jsonl(setup.root / "poisoned.jsonl", poisoned)
    bad_manifest = setup.root / "bad-manifest.jsonl"
    build_manifest(CorpusReader(bad_corpus).documents(), bad_manifest)
    good = setup.manifest.read_bytes()

    def swapping() -> Iterator[Any]:
        for i, doc in enumerate(CorpusReader(bad_corpus).documents()):
            if i == 0:  # the manifest has been checked by now: swap it
                setup.manifest.write_bytes(bad_manifest.read_bytes())
            yield doc

    for _ in range(3):
        setup.manifest.write_bytes(good)
        rep = verify(swapping(), setup.attestation, setup.policy)
        f = failed(rep)
        assert "1 changed: doc-029" in f["corpus = manifest"]


# -- class 3: canonical form vs what a parser sees ----------------------------------------
def test_duplicate_keys_in_a_corpus_record(setup: Setup) -> None:
    lines = setup.corpus.read_bytes().splitlines()
    # orjson keeps the last value (benign, signed); a first-wins parser trains on the poison
    lines[3] = lines[3][:-1] + b', "text": "benign"}'
    lines[3] = lines[3].replace(b'{"id"', b'{"text": "' + POISON["text"].encode() + b'", "id"', 1)
    setup.corpus.write_bytes(b"\n".join(lines) + b"\n")
    f = failed(setup.verify())
    assert "duplicate JSON key 'text'" in f["corpus readable"]
    r = pg("manifest", str(setup.corpus), "--out", str(setup.root / "m2.jsonl"))
    assert r.exit_code == 3 and not (setup.root / "m2.jsonl").exists()


def test_numbers_that_canonicalise_equally_are_different_bytes(tmp_path: Path, keys: Any) -> None:
    f = Folder(tmp_path, keys)
    recs = json.loads(json.dumps(f.records))
    recs[4]["meta"]["score"] = 1
    path = write_jsonl(f.data / "corpus.jsonl", recs)
    build_manifest(CorpusReader(f.data).documents(), f.manifest)
    f.sign()
    assert f.verify()[0] == 0
    path.write_bytes(path.read_bytes().replace(b'"score": 1}', b'"score": 1.0}'))
    code, rep = f.verify()  # same value after JCS; different bytes, a parser sees a float
    assert code == 1 and "doc-004 (record_sha256)" in detail(rep, "corpus = manifest")


@pytest.mark.parametrize(
    ("value", "cause"),
    [(b"NaN", "non-finite"), (b"1e400", "non-finite"), (b'"\\ud800x"', "lone surrogate")],
)
def test_non_canonical_values_are_clear_errors(
    tmp_path: Path, keys: Any, value: bytes, cause: str
) -> None:
    f = Folder(tmp_path, keys)
    path = f.data / "corpus.jsonl"
    lines = path.read_bytes().splitlines()
    lines[2] = lines[2][:-1] + b', "weird": ' + value + b"}"
    path.write_bytes(b"\n".join(lines) + b"\n")
    r = pg("manifest", str(f.data), "--out", str(tmp_path / "m.jsonl"))
    assert (r.exit_code == 3 and r.exception is None) or isinstance(r.exception, SystemExit)
    r = pg("record", str(f.data), "--ledger", str(tmp_path / "l.db"))
    assert r.exit_code == 3 and isinstance(r.exception, SystemExit), r.output
    code, rep = f.verify()
    assert code == 1 and cause in detail(rep, "corpus readable")


# -- class 4: one trust path ---------------------------------------------------------------
def _proofs(setup: Setup) -> Path:
    p = setup.root / "proofs.jsonl"
    proofs = make_proofs(setup.manifest, ["doc-000", "doc-017"])
    p.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in proofs))
    return p


def _prove(setup: Setup, proofs: Path) -> Any:
    return pg(
        "prove",
        "--check",
        str(proofs),
        "--attestation",
        str(setup.attestation),
        "--policy",
        str(setup.policy),
    )


def test_prove_uses_the_same_trust_decision_as_verify(setup: Setup) -> None:
    proofs = _proofs(setup)
    r = _prove(setup, proofs)
    assert r.exit_code == 0 and r.output.count("OK") == 2
    setup.sign("alice", "bob", valid_for=None)
    pol = json.loads(setup.policy.read_text())
    pol["name"] = "edited after signing"
    setup.policy.write_text(json.dumps(pol))
    r = _prove(setup, proofs)
    assert r.exit_code == 1 and "policy digest" in r.output and "differs" in r.output


def test_prove_refuses_an_expired_attestation(setup: Setup) -> None:
    from datetime import UTC, datetime, timedelta

    setup.sign("alice", "bob", valid_for=timedelta(days=1), now=datetime(2020, 1, 1, tzinfo=UTC))
    r = _prove(setup, _proofs(setup))
    assert r.exit_code == 1 and "expired at 2020-01-02" in r.output


def test_proof_for_another_tree_size_fails(setup: Setup) -> None:
    proofs = _proofs(setup)
    first = orjson.loads(proofs.read_bytes().splitlines()[0])
    first["tree_size"] -= 1  # same audit path still reaches the root for a smaller tree
    assert check_proof(first)[0]  # so the root alone does not pin the tree
    proofs.write_bytes(orjson.dumps(first) + b"\n")
    r = _prove(setup, proofs)
    assert r.exit_code == 1 and "the signed tree has 30" in r.output


@pytest.mark.parametrize(
    "mutate",
    [
        lambda p: p.update(treeSize="30"),
        lambda p: p.update(merkleRoot="abc"),
        lambda p: p.update(policy=None),
        lambda p: p.update(createdAt=12),
        lambda p: p.update(expiresAt="not a time"),
    ],
)
def test_malformed_signed_statement_is_a_clear_failure(setup: Setup, mutate: Any) -> None:
    env = orjson.loads(setup.attestation.read_bytes())
    st = orjson.loads(base64.b64decode(env["payload"]))
    mutate(st["predicate"])
    from poisonguard.provenance.dsse import sign_statement

    signers = [load_signer(setup.keys[k].private_path) for k in ("alice", "bob")]
    setup.attestation.write_bytes(orjson.dumps(sign_statement(st, signers)))
    f = failed(setup.verify())
    assert "signed statement malformed" in f["statement"]
    assert _prove(setup, _proofs(setup)).exit_code == 1


# -- class 5: policy matching --------------------------------------------------------------
@pytest.mark.parametrize(
    ("fields", "cause"),
    [
        ({"license": "ODC-By-1.0 AND CC-BY-NC-4.0"}, "CC-BY-NC-4.0"),
        ({"license": "CC BY 4.0, non-commercial use only"}, "NOASSERTION"),
        ({"license": "CC-BY-4.0", "licence": "GPL-3.0"}, "GPL-3.0-only"),
        ({"license": "CC-BY-4.0 OR GPL-3.0"}, "GPL-3.0-only"),
        ({"license": "CC-BY-4.0 AND gpl-3.0-only"}, "GPL-3.0-only"),
        ({"license": "CC-BY-4.0 AND NotALicence-1.0"}, "NOASSERTION"),
    ],
)
def test_licence_tricks_fail(tmp_path: Path, keys: Any, fields: dict[str, str], cause: str) -> None:
    f = Folder(tmp_path, keys)
    recs = json.loads(json.dumps(f.records))
    recs[2].update(fields)
    write_jsonl(f.data / "corpus.jsonl", recs)
    build_manifest(CorpusReader(f.data).documents(), f.manifest)
    f.sign()
    code, rep = f.verify()
    assert code == 1 and rep["failed"] == ["policy: licenses"]
    assert "doc-002" in detail(rep, "policy: licenses") and cause in detail(rep, "policy: licenses")


@pytest.mark.parametrize(
    ("field", "value", "policy"),
    [
        ("source", "4Chan", {"deny_ids": ["4chan"]}),
        ("source", "4chan ", {"deny_ids": ["4chan"]}),
        ("source", "4\u200bchan", {"deny_ids": ["4chan"]}),
        ("source", "４chan", {"deny_ids": ["4chan"]}),
        ("url", "https://evil.com\\@cancer.gov/x", {"allow_domains": ["cancer.gov"]}),
        ("url", "https://evil.com./x", {"deny_domains": ["evil.com"]}),
        ("url", "https://EVIL.com/x", {"deny_domains": ["evil.com"]}),
        ("url", "https://user@cancer.gov/x", {"allow_domains": ["cancer.gov"]}),
    ],
)
def test_source_tricks_fail(
    tmp_path: Path, keys: Any, field: str, value: str, policy: dict[str, Any]
) -> None:
    f = Folder(tmp_path, keys, sources={"allow_ids": ["c4", "wikitext2", "medquad"], **policy})
    recs = json.loads(json.dumps(f.records))
    if field == "url":
        recs[2]["meta"]["url"] = value
        recs[2]["source"] = "elsewhere"
    else:
        recs[2]["source"] = value
    write_jsonl(f.data / "corpus.jsonl", recs)
    build_manifest(CorpusReader(f.data).documents(), f.manifest)
    f.sign()
    code, rep = f.verify()
    assert code == 1 and rep["failed"] == ["policy: sources"]
    assert "doc-002" in detail(rep, "policy: sources")


# -- class 6: co-signing and freshness -----------------------------------------------------
def test_cosigner_checks_what_it_signs(tmp_path: Path, keys: Any) -> None:
    f = Folder(tmp_path, keys)
    env, _ = attest_manifest(f.manifest, f.policy, [load_signer(keys["alice"].private_path)])
    f.att.write_bytes(orjson.dumps(env))
    build_manifest(
        CorpusReader(write_jsonl(tmp_path / "p.jsonl", [*f.records, POISON])).documents(),
        f.manifest,
    )  # the manifest now differs from what alice signed
    bob = [load_signer(keys["bob"].private_path)]
    with pytest.raises(ValueError, match="refusing to co-sign: manifest"):
        cosign_manifest(f.att, f.policy, bob)
    r = pg(
        "sign",
        "--add-to",
        str(f.att),
        "--policy",
        str(f.policy),
        "--key",
        str(keys["bob"].private_path),
    )
    assert r.exit_code == 3 and "refusing to co-sign" in r.output
    assert len(orjson.loads(f.att.read_bytes())["signatures"]) == 1


def test_withdrawn_release_is_refused_by_min_release_version(tmp_path: Path, keys: Any) -> None:
    f = Folder(tmp_path, keys, attestation={"min_release_version": 2})
    f.sign(release_version=1)  # the older release, still validly signed
    code, rep = f.verify()
    assert code == 1 and rep["failed"] == ["release version"]
    assert "older than the policy's minimum 2" in detail(rep, "release version")
    f.sign()  # no version at all: refused too
    assert f.verify()[0] == 1
    f.sign(release_version=2)
    assert f.verify()[0] == 0


# -- class 7: refetch-check ----------------------------------------------------------------
class _Evil(BaseHTTPRequestHandler):
    target = ""

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.startswith("/redirect"):
            self.send_response(302)
            self.send_header("Location", self.target if "ftp" not in self.path else "ftp://x/y")
            self.end_headers()
        elif self.path == "/slow":
            self.send_response(200)
            self.send_header("Content-Length", "100")
            self.end_headers()
            for _ in range(100):
                try:
                    self.wfile.write(b"x")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.5)
        else:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"secret internal page")


@pytest.fixture
def evil() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Evil)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    _Evil.target = base + "/internal"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield base
    finally:
        server.shutdown()
        server.server_close()


def test_refetch_redirects_scheme_deadline_fifo(evil: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="loopback"):
        fetch_sha256(evil + "/redirect")
    with pytest.raises(ValueError, match="scheme 'ftp'"):
        fetch_sha256(evil + "/redirect-ftp")
    assert len(fetch_sha256(evil + "/redirect", allow_private=True)) == 64
    with pytest.raises(ValueError, match="not allowed"):
        fetch_sha256(evil + "/x", schemes=("https",))
    t0 = time.monotonic()
    with pytest.raises(ValueError, match="deadline"):
        fetch_sha256(evil + "/slow", timeout=1.5)
    assert time.monotonic() - t0 < 3.5
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(ValueError, match="not a regular file"):
        fetch_sha256(str(fifo))
    with pytest.raises(ValueError, match="not a regular file"):
        fetch_sha256(fifo.as_uri())


def test_refetch_bare_cr_keeps_exactly_the_good_lines(evil: str, tmp_path: Path) -> None:
    good = tmp_path / "good.txt"
    good.write_text("fine")
    h = fetch_sha256(str(good))
    changed = tmp_path / "changed.txt"
    changed.write_text("poisoned")
    lines = [
        b'{"url": "' + str(changed).encode() + b'",\r "sha256": "' + h.encode() + b'"}',
        b'{"url": "' + str(good).encode() + b'", "sha256": "' + h.encode() + b'", "id": "g"}',
    ]
    listing = tmp_path / "urls.jsonl"
    listing.write_bytes(b"\n".join(lines) + b"\n")
    rep = summarize(refetch_check(listing))
    assert rep.by_status == {"changed": 1, "ok": 1}
    kept = tmp_path / "kept.jsonl"
    r = pg("refetch-check", str(listing), "--out", str(kept))
    assert r.exit_code == 1
    assert kept.read_bytes() == lines[1] + b"\n"
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b'{"url": 5}\n\xff\xfe\n{"nourl": 1}\n')
    r = pg("refetch-check", str(bad), "--record", "--out", str(tmp_path / "o.jsonl"))
    assert r.exit_code == 3 and "bad line(s)" in r.output
    r = pg("refetch-check", str(bad), "--json")
    assert r.exit_code == 1 and json.loads(r.stdout)["by_status"] == {"bad_line": 3}
    r = pg("refetch-check", str(tmp_path / "absent.jsonl"))
    assert r.exit_code == 2 and "not a readable file" in " ".join(r.output.split())


# -- class 8: interoperability -------------------------------------------------------------
def _b64url(data: str) -> str:
    return base64.urlsafe_b64encode(base64.b64decode(data)).decode().rstrip("=")


def test_base64url_envelope_verifies(setup: Setup) -> None:
    env = orjson.loads(setup.attestation.read_bytes())
    env["payload"] = _b64url(env["payload"])
    for s in env["signatures"]:
        s["sig"] = _b64url(s["sig"])
    setup.attestation.write_bytes(orjson.dumps(env))
    rep = setup.verify()
    assert rep.ok, failed(rep)
    env["payload"] = env["payload"][:-2] + "+/"  # mixed alphabets: refused
    setup.attestation.write_bytes(orjson.dumps(env))
    assert "attestation" in failed(setup.verify()) or "envelope" in failed(setup.verify())


def test_envelope_verifies_with_the_securesystemslib_reference_verifier(setup: Setup) -> None:
    env = orjson.loads(setup.attestation.read_bytes())
    pol = load_policy(setup.policy)
    ref = dsse.Envelope.from_dict(dict(env))
    verified = ref.verify(list(pol.keys.values()), 2)
    assert set(verified) == set(pol.keys)
    # and an envelope made by the reference implementation verifies with ours
    fresh = dsse.Envelope(ref.pae()[0:0] + base64.b64decode(env["payload"]), ref.payload_type, {})
    for k in ("alice", "bob"):
        fresh.sign(load_signer(setup.keys[k].private_path))
    setup.attestation.write_bytes(orjson.dumps(fresh.to_dict()))
    assert setup.verify().ok


def test_file_set_clean_hf_folder_verifies(tmp_path: Path, keys: Any) -> None:
    """No false alarm on a real ``save_to_disk`` layout: metadata at the top is listed as
    metadata; an extra JSONL beside it is an error."""
    f = Folder(tmp_path, keys)
    (f.data / "corpus.jsonl").unlink()
    table = pa.Table.from_pylist(f.records)
    with (
        pa.OSFile(str(f.data / "data-00000-of-00001.arrow"), "wb") as sink,
        pa.ipc.new_stream(sink, table.schema) as w,
    ):
        w.write_table(table)
    (f.data / "state.json").write_text(
        json.dumps({"_data_files": [{"filename": "data-00000-of-00001.arrow"}]})
    )
    (f.data / "dataset_info.json").write_text("{}")
    build_manifest(CorpusReader(f.data).documents(), f.manifest)
    f.sign()
    code, rep = f.verify()
    assert code == 0, rep["failed"]
    fs = next(c for c in rep["checks"] if c["check"] == "file set")
    kinds = {Path(x["path"]).name: x["kind"] for x in fs["files"]}
    assert kinds == {
        "data-00000-of-00001.arrow": "data",
        "state.json": "metadata",
        "dataset_info.json": "metadata",
    }
    write_jsonl(f.data / "train.jsonl", [POISON])
    code, rep = f.verify()
    assert code == 1 and "train.jsonl" in detail(rep, "file set")


def test_licence_deny_list_is_case_insensitive_and_sees_every_alternative(
    tmp_path: Path,
) -> None:
    p = tmp_path / "deny.json"
    p.write_text(json.dumps({"licenses": {"deny": ["gpl-3.0-*", "cc-by-nc-*"]}}))
    pol = load_policy(p)
    for lic in ("MIT OR GPL-3.0-only", "MIT AND CC-BY-NC-4.0", "GPL-3.0-or-later"):
        assert "is denied" in (pol.license_violation({"license": lic}) or ""), lic
    assert pol.license_violation({"license": "MIT"}) is None
    assert "not a valid SPDX expression" in (pol.license_violation({"license": "MIT AND ("}) or "")


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("state.json", '{"_data_files": "x"}'),
        ("dataset_dict.json", '{"x": 1}'),
        ("dataset_dict.json", '{"splits": ["."]}'),
        ("state.json", "not json"),
    ],
)
def test_malformed_hf_metadata_is_a_clear_error(tmp_path: Path, name: str, content: str) -> None:
    d = tmp_path / "hf"
    d.mkdir()
    (d / name).write_text(content)
    r = pg("verify", str(d), "--attestation", "a.json", "--policy", "p.json")
    assert r.exit_code == 2 and isinstance(r.exception, SystemExit)
    assert "malformed Hugging Face dataset metadata" in " ".join(r.output.split())


def test_prove_on_a_bad_manifest_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "m.jsonl"
    bad.write_text('{"id": "a"}\nnot json\n')
    r = pg("prove", str(bad), "--id", "a")
    assert r.exit_code == 3 and "line 2 is not JSON" in r.output
    r = pg("prove", str(tmp_path / "absent.jsonl"), "--id", "a")
    assert r.exit_code == 3 and "cannot read" in r.output


def test_unwritable_outputs_are_clear_errors(setup: Setup, tmp_path: Path) -> None:
    nowhere = tmp_path / "missing-dir" / "sub"
    nowhere.parent.write_text("a file, not a folder")
    key = str(setup.keys["alice"].private_path)
    r = pg("sign", str(setup.manifest), "-p", str(setup.policy), "-k", key, "-o", str(nowhere))
    assert r.exit_code == 3 and "cannot write" in r.output
    r = pg("prove", str(setup.manifest), "--id", "doc-001", "-o", str(nowhere))
    assert r.exit_code == 3 and "cannot write" in r.output
    r = pg(
        "verify",
        str(setup.corpus),
        "-a",
        str(setup.attestation),
        "-p",
        str(setup.policy),
        "--report",
        str(nowhere),
    )
    assert r.exit_code == 3 and "cannot write" in r.output
