"""``poisonguard provenance record|manifest|sign|verify|prove|refetch-check|keygen``."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import orjson
import typer
from rich.table import Table
from securesystemslib.signer import Signer

from poisonguard.cli._common import (
    EXIT_BAD_INPUT,
    EXIT_FINDINGS,
    EXIT_USAGE,
    FormatOpt,
    IdFieldOpt,
    JsonOpt,
    MaxDocBytesOpt,
    StrictOpt,
    TextFieldOpt,
    console,
    emit_json,
    fail,
    log,
    open_reader,
    progress_for,
    run_guarded,
)
from poisonguard.io import AtomicFile, ErrorSink, RunAccounting, write_json
from poisonguard.provenance.attest import attest_manifest, attest_run, cosign_manifest
from poisonguard.provenance.croissant import croissant_metadata
from poisonguard.provenance.dsse import EnvelopeError
from poisonguard.provenance.events import read_events, scan_events
from poisonguard.provenance.keys import KeyError_, generate_keypair, load_signer
from poisonguard.provenance.ledger import IngestStats, Ledger
from poisonguard.provenance.lineage import lineage_of, parse_time, screen, utc_now
from poisonguard.provenance.manifest import (
    ManifestError,
    build_manifest,
    check_proof,
    make_proofs,
)
from poisonguard.provenance.policy import PolicyError, load_policy
from poisonguard.provenance.refetch import (
    DEFAULT_SCHEMES,
    read_plain_urls,
    record_hashes,
    refetch_check,
    summarize,
)
from poisonguard.provenance.trust import trusted_statement
from poisonguard.provenance.verify import verify

prov_app = typer.Typer(
    help="Lineage ledger, signed manifests, verify before training.", no_args_is_help=True
)

ProvErrorRateOpt = typer.Option(
    0.0,
    "--max-error-rate",
    help="Share of unreadable records tolerated (default 0: a manifest must cover every record).",
)
PassEnvOpt = typer.Option(
    None,
    "--passphrase-env",
    metavar="VAR",
    help="Environment variable holding the private keys' passphrase.",
)


def _why(reason: str) -> None:
    """The one line on stderr that says why a command exits non-zero."""
    log.print(f"failed: {reason}", markup=False, highlight=False)


def _passphrase(var: str | None) -> bytes | None:
    if not var:
        return None
    value = os.environ.get(var)
    if value is None:
        fail(f"environment variable {var} is not set", EXIT_USAGE)
    return value.encode("utf-8") if value else None


def _duration(text: str) -> timedelta | None:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([dhm]?)\s*", text)
    if not m:
        fail(f"--valid-for {text!r}: use e.g. 90d, 12h, 30m, or 0 for no expiry", EXIT_USAGE)
        raise AssertionError  # unreachable
    n = float(m.group(1))
    if n == 0:
        return None
    return {
        "d": timedelta(days=n),
        "h": timedelta(hours=n),
        "m": timedelta(minutes=n),
        "": timedelta(days=n),
    }[m.group(2)]


def _errors_close(sink: ErrorSink, acct: RunAccounting, path: Path | None) -> None:
    sink.close()
    if acct.errors:
        console.print(
            f"[yellow]{acct.errors:,} unreadable record(s)[/]"
            + (f" → {path}" if path else "")
            + "; first: "
            + "; ".join(str(e) for e in sink.errors[:3])
        )


# -- record ---------------------------------------------------------------------------
@prov_app.command("record")
def record(
    paths: list[str] = typer.Argument(
        None, help="Corpus files/folders/globs (optional when only recording --events)."
    ),
    ledger: str = typer.Option(
        ...,
        "--ledger",
        "-l",
        help="SQLite file, or a SQLAlchemy URL (postgresql+psycopg://user@host:port/db).",
    ),
    events: list[Path] = typer.Option(
        [],
        "--events",
        help="JSONL of filter/scan events {id, name, version, "
        "result, time[, sha256]} (repeatable).",
    ),
    scans: list[Path] = typer.Option(
        [],
        "--scan",
        help="Output folder of `poisonguard scan --out DIR`: records a poisonguard-scan "
        "event per document (kept: pass; quarantined: its label) (repeatable).",
    ),
    schema: str | None = typer.Option(None, "--schema", help="Database schema (PostgreSQL)."),
    fmt: str | None = FormatOpt,
    text_field: str | None = TextFieldOpt,
    id_field: str | None = IdFieldOpt,
    strict: bool = StrictOpt,
    max_error_rate: float = ProvErrorRateOpt,
    max_doc_bytes: int = MaxDocBytesOpt,
    errors: Path | None = typer.Option(None, "--errors", help="Write unreadable records here."),
    as_json: bool = JsonOpt,
) -> None:
    """Record each document's lineage (and filter/scan events) in the ledger.

    Idempotent: re-recording an unchanged corpus writes nothing; a changed document becomes
    a new version, the old one is kept.
    """
    if not paths and not events and not scans:
        fail("give a corpus, --events, --scan, or a combination", EXIT_USAGE)

    def go() -> None:
        stats = IngestStats()
        acct = RunAccounting(max_error_rate=max_error_rate)
        sink = ErrorSink(errors, strict=strict)
        with Ledger(ledger, schema=schema) as led:
            if paths:
                reader = open_reader(paths, fmt, text_field, id_field, max_doc_bytes)
                with progress_for(reader, "recording", disable=as_json) as advance:

                    def lineages() -> Any:
                        for doc in screen(reader.documents(sink, acct), sink, acct):
                            acct.written("recorded")
                            advance(1)
                            yield lineage_of(doc, screened=True)

                    led.ingest(lineages(), stats=stats)
            for ev_path in events:
                led.record_events(read_events(ev_path, sink), stats=stats)
            for scan_dir in scans:
                try:
                    led.record_events(scan_events(scan_dir, sink), stats=stats)
                except ValueError as e:  # not a finished scan folder: nothing recorded
                    fail(str(e), EXIT_BAD_INPUT)
            counts = led.counts()
        _errors_close(sink, acct, errors)
        data = {
            "ledger": repr(led),
            **stats.to_dict(),
            "totals": counts,
            "accounting": acct.to_dict(),
            "event_errors": sink.by_kind.get("bad_event", 0),
        }
        if as_json:
            emit_json(data)
        else:
            console.print(
                f"recorded {stats.seen:,} documents: {stats.new_documents:,} new, "
                f"{stats.new_versions:,} new versions, {stats.unchanged:,} unchanged; "
                f"{stats.events_recorded:,} events recorded, {stats.events_duplicate:,} "
                f"already known. Ledger now holds {counts['documents']:,} documents, "
                f"{counts['versions']:,} versions, {counts['events']:,} events."
            )
        if stats.events_unknown_doc:
            fail(
                f"{len(stats.events_unknown_doc)} event(s) name documents the ledger does not "
                f"hold (first: {', '.join(stats.events_unknown_doc[:5])}); record the corpus "
                "first",
                EXIT_BAD_INPUT,
            )
        if sink.by_kind.get("bad_event"):
            fail(f"{sink.by_kind['bad_event']} bad event line(s)", EXIT_BAD_INPUT)
        acct.check()

    run_guarded(go)


# -- manifest -------------------------------------------------------------------------
@prov_app.command("manifest")
def manifest(
    paths: list[str] = typer.Argument(..., help="Corpus files/folders/globs."),
    out: Path = typer.Option(Path("manifest.jsonl"), "--out", "-o", help="Manifest file."),
    ledger: str | None = typer.Option(
        None,
        "--ledger",
        "-l",
        help="Add each document's ledger version, retrieved_at "
        "and filter/scan events (all must be recorded).",
    ),
    schema: str | None = typer.Option(None, "--schema", help="Database schema (PostgreSQL)."),
    croissant: Path | None = typer.Option(
        None, "--croissant", help="Also write Croissant JSON-LD metadata here."
    ),
    name: str | None = typer.Option(None, "--name", help="Dataset name (Croissant)."),
    fmt: str | None = FormatOpt,
    text_field: str | None = TextFieldOpt,
    id_field: str | None = IdFieldOpt,
    strict: bool = StrictOpt,
    max_error_rate: float = ProvErrorRateOpt,
    max_doc_bytes: int = MaxDocBytesOpt,
    errors: Path | None = typer.Option(None, "--errors", help="Write unreadable records here."),
    as_json: bool = JsonOpt,
) -> None:
    """Write manifest.jsonl (one JCS record per document, sorted by id) and its Merkle root."""
    reader = open_reader(paths, fmt, text_field, id_field, max_doc_bytes)

    def go() -> None:
        acct = RunAccounting(max_error_rate=max_error_rate)
        sink = ErrorSink(errors, strict=strict)
        led = Ledger(ledger, schema=schema) if ledger else None

        def docs() -> Any:
            for d in screen(reader.documents(sink, acct), sink, acct):
                acct.written("manifest")
                yield d

        def read_done() -> None:  # errors file first, then refuse before writing
            _errors_close(sink, acct, errors)
            acct.check()

        try:
            with progress_for(reader, "manifest", disable=as_json) as advance:
                summary = build_manifest(
                    docs(), out, ledger=led, advance=advance, before_write=read_done
                )
        except ManifestError as e:
            fail(str(e), EXIT_BAD_INPUT)
            return
        finally:
            sink.close()
            if led is not None:
                led.close()
        data = {**summary.to_dict(), "accounting": acct.to_dict()}
        if croissant:
            files = [s.path for s in reader.sources if s.path != "-"]
            write_json(croissant, croissant_metadata(name or out.stem, files, summary))
            data["croissant"] = str(croissant)
        if as_json:
            emit_json(data)
        else:
            console.print(
                f"manifest {out}: {summary.count:,} records, sha256 "
                f"{summary.sha256}, Merkle root {summary.root}"
            )

    run_guarded(go)


# -- sign -----------------------------------------------------------------------------
@prov_app.command("sign")
def sign(
    manifest_path: Path | None = typer.Argument(
        None, metavar="[MANIFEST]", help="manifest.jsonl to attest."
    ),
    keys: list[Path] = typer.Option(
        ..., "--key", "-k", help="Ed25519 private key (repeat for several signatures)."
    ),
    policy: Path | None = typer.Option(
        None, "--policy", "-p", help="Policy file; its sha256 goes into the statement."
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Envelope file (default: <manifest>.dsse.json)."
    ),
    valid_for: str = typer.Option(
        "90d", "--valid-for", help="Validity window, e.g. 90d, 12h; 0 for no expiry."
    ),
    corpus: str | None = typer.Option(None, "--corpus", help="Corpus name in the statement."),
    add_to: Path | None = typer.Option(
        None,
        "--add-to",
        help="Co-sign this existing envelope instead (needs --policy; checks the manifest, "
        "given as MANIFEST or found next to the envelope, against the statement first).",
    ),
    release_version: int | None = typer.Option(
        None,
        "--release-version",
        help="Release number of this corpus (increasing); a policy's "
        "attestation.min_release_version refuses older releases.",
    ),
    run: Path | None = typer.Option(
        None,
        "--run",
        help="Sign a scan/filter run: SLSA v1 provenance + one SVR per stage, as a JSONL bundle.",
    ),
    passphrase_env: str | None = PassEnvOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Sign a manifest attestation (DSSE, in-toto Statement v1), co-sign one, or sign a run."""
    modes = sum(x is not None for x in (add_to, run)) + (
        manifest_path is not None and add_to is None
    )
    if modes != 1:
        fail("give exactly one of MANIFEST, --add-to ENVELOPE, or --run RUN.json", EXIT_USAGE)
    if add_to is not None and policy is None:
        fail(
            "--add-to needs --policy: a co-signer checks the manifest and policy it signs for",
            EXIT_USAGE,
        )
    if release_version is not None and release_version < 1:
        fail("--release-version must be a positive integer", EXIT_USAGE)
    try:
        signers: list[Signer] = [load_signer(k, _passphrase(passphrase_env)) for k in keys]
    except KeyError_ as e:
        fail(str(e), EXIT_USAGE)
        return
    ids = [s.public_key.keyid for s in signers]
    try:
        if add_to is not None:
            assert policy is not None
            env = cosign_manifest(add_to, policy, signers, manifest=manifest_path)
            target = out or add_to
            envelopes = [env]
        elif run is not None:
            envelopes = attest_run(run, signers)
            target = out or run.with_name(run.stem + ".intoto.jsonl")
        else:
            assert manifest_path is not None
            if policy is None:
                fail("--policy is required to attest a manifest", EXIT_USAGE)
                return
            env, unpinned = attest_manifest(
                manifest_path,
                policy,
                signers,
                valid_for=_duration(valid_for),
                corpus=corpus,
                release_version=release_version,
            )
            for k in unpinned:
                console.print(
                    f"[yellow]warning:[/] key {k} is not pinned in {policy}; its "
                    "signature will not count at verification"
                )
            envelopes = [env]
            target = out or manifest_path.with_name(manifest_path.name + ".dsse.json")
    except (PolicyError, EnvelopeError, ValueError) as e:
        fail(str(e), EXIT_BAD_INPUT)
        return
    except OSError as e:
        fail(f"{e.filename or ''}: {e.strerror or e}", EXIT_BAD_INPUT)
        return
    try:
        with AtomicFile(target) as f:
            if len(envelopes) == 1 and run is None:
                f.fh.write(orjson.dumps(envelopes[0], option=orjson.OPT_INDENT_2) + b"\n")
            else:
                for env in envelopes:
                    f.fh.write(orjson.dumps(env) + b"\n")
    except OSError as e:
        fail(f"cannot write {target}: {e.strerror or e}", EXIT_BAD_INPUT)
    data = {"out": str(target), "envelopes": len(envelopes), "signed_by": ids}
    if as_json:
        emit_json(data)
    else:
        console.print(
            f"signed {len(envelopes)} statement(s) with {len(ids)} key(s) "
            f"({', '.join(i[:16] for i in ids)}) → {target}"
        )


# -- verify ---------------------------------------------------------------------------
@prov_app.command("verify")
def verify_cmd(
    paths: list[str] = typer.Argument(..., help="The corpus to verify."),
    attestation: Path = typer.Option(..., "--attestation", "-a", help="DSSE envelope."),
    policy: Path = typer.Option(..., "--policy", "-p", help="Trusted-source policy."),
    manifest_path: Path | None = typer.Option(
        None,
        "--manifest",
        "-m",
        help="Manifest (default: the signed subject's name next to the attestation).",
    ),
    at: str | None = typer.Option(
        None, "--at", help="Check validity windows at this time (ISO 8601) instead of now."
    ),
    fmt: str | None = FormatOpt,
    text_field: str | None = TextFieldOpt,
    id_field: str | None = IdFieldOpt,
    max_doc_bytes: int = MaxDocBytesOpt,
    report: Path | None = typer.Option(None, "--report", help="Also write the JSON report."),
    as_json: bool = JsonOpt,
) -> None:
    """Verify a corpus before training; exit 0 only when every check passes (fail closed)."""
    reader = open_reader(paths, fmt, text_field, id_field, max_doc_bytes)
    try:
        now = parse_time(at) if at else None
    except ValueError as e:
        fail(f"--at: {e}", EXIT_USAGE)
        return
    sink = ErrorSink(None, keep=1000)

    def go() -> None:
        with progress_for(reader, "verifying", disable=as_json) as advance:
            rep = verify(
                reader.documents(sink),
                attestation,
                policy,
                manifest=manifest_path,
                now=now,
                read_errors=lambda: [str(e) for e in sink.errors],
                advance=advance,
                corpus_paths=paths,
                read_files=lambda: [src.path for src in reader.sources],
            )
        data = rep.to_dict()
        if report:
            try:
                write_json(report, data)
            except OSError as e:
                fail(f"cannot write {report}: {e.strerror or e}", EXIT_BAD_INPUT)
        if as_json:
            emit_json(data)
        else:
            t = Table(title=f"verify {' '.join(paths)}", show_lines=False)
            t.add_column("check")
            t.add_column("result")
            t.add_column("detail", overflow="fold")
            for c in rep.checks:
                t.add_row(c.name, "[green]PASS[/]" if c.ok else "[bold red]FAIL[/]", c.detail)
            console.print(t)
            if rep.ok:
                console.print(
                    "[bold green]VERIFIED[/]: the corpus is exactly the signed one "
                    "and meets the policy"
                )
            else:
                console.print(
                    f"[bold red]REJECTED[/]: {len(rep.failed)} check(s) failed: "
                    + ", ".join(c.name for c in rep.failed)
                )
        if not rep.ok:
            _why(f"{len(rep.failed)} check(s) failed: " + ", ".join(c.name for c in rep.failed))
            raise typer.Exit(EXIT_FINDINGS)

    run_guarded(go)


# -- prove ----------------------------------------------------------------------------
@prov_app.command("prove")
def prove(
    manifest_path: Path | None = typer.Argument(None, metavar="[MANIFEST]"),
    ids: list[str] = typer.Option([], "--id", help="Document id to prove (repeatable)."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write proofs (JSONL) here."),
    check: Path | None = typer.Option(None, "--check", help="Check proofs (JSONL) instead."),
    root: str | None = typer.Option(None, "--root", help="Expected Merkle root (hex)."),
    attestation: Path | None = typer.Option(
        None,
        "--attestation",
        "-a",
        help="Take the root from this signed attestation (signatures checked with --policy).",
    ),
    policy: Path | None = typer.Option(None, "--policy", "-p"),
    as_json: bool = JsonOpt,
) -> None:
    """Make RFC 6962 inclusion proofs for documents, or check them against a signed root."""
    if check is None:
        if manifest_path is None or not ids:
            fail("give MANIFEST and at least one --id (or --check PROOFS)", EXIT_USAGE)
            return
        try:
            proofs = make_proofs(manifest_path, ids)
        except KeyError as e:
            fail(str(e.args[0]), EXIT_FINDINGS)
            return
        except ManifestError as e:
            fail(str(e), EXIT_BAD_INPUT)
            return
        except OSError as e:
            fail(f"cannot read {manifest_path}: {e.strerror or e}", EXIT_BAD_INPUT)
            return
        lines = b"".join(orjson.dumps(p) + b"\n" for p in proofs)
        if out:
            try:
                with AtomicFile(out) as f:
                    f.fh.write(lines)
            except OSError as e:
                fail(f"cannot write {out}: {e.strerror or e}", EXIT_BAD_INPUT)
            console.print(f"{len(proofs)} proof(s) → {out} (root {proofs[0]['root']})")
        else:
            typer.echo(lines.decode().rstrip("\n"))
        return
    expected = root
    tree_size: int | None = None
    if attestation is not None:
        if policy is None:
            fail("--attestation needs --policy to check its signatures", EXIT_USAGE)
            return
        try:
            pol = load_policy(policy)
        except PolicyError as e:
            fail(str(e), EXIT_BAD_INPUT)
            return
        trust = trusted_statement(attestation, pol, utc_now())
        if not trust.ok or trust.claim is None:
            fail(f"attestation not trusted: {trust.reason()}", EXIT_FINDINGS)
            return
        if root is not None and root != trust.claim.merkle_root:
            fail("--root differs from the signed Merkle root", EXIT_FINDINGS)
        expected, tree_size = trust.claim.merkle_root, trust.claim.tree_size
    if not expected:
        fail("give --root or --attestation to check proofs against a trusted root", EXIT_USAGE)
        return
    try:
        raw_lines = check.read_bytes().splitlines()
    except OSError as e:
        fail(f"cannot read {check}: {e.strerror or e}", EXIT_BAD_INPUT)
        return
    results = []
    for n, line in enumerate(raw_lines, 1):
        if line.strip():
            try:
                proof = orjson.loads(line)
            except orjson.JSONDecodeError as e:
                ok, why = False, f"line {n}: not JSON ({e})"
            else:
                ok, why = check_proof(proof, expected, tree_size)
            results.append({"ok": ok, "detail": why})
    if as_json:
        emit_json(results)
    else:
        for r in results:
            mark = "[green]OK[/]   " if r["ok"] else "[bold red]FAIL[/] "
            console.print(mark + str(r["detail"]))
    if not results or not all(r["ok"] for r in results):
        bad = sum(1 for r in results if not r["ok"])
        _why(f"{bad} of {len(results)} proof(s) do not verify" if results else "no proof to check")
        raise typer.Exit(EXIT_FINDINGS)


# -- refetch-check --------------------------------------------------------------------
@prov_app.command("refetch-check")
def refetch_cmd(
    urls: Path = typer.Argument(
        ...,
        help="JSONL: {url, sha256[, id]} per line (with "
        "--record: {url} or plain URLs, one per line).",
    ),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="Kept lines (or, with --record, the hash list)."
    ),
    rejected: Path | None = typer.Option(
        None, "--rejected", help="Rejected lines with the reason (JSONL)."
    ),
    record: bool = typer.Option(
        False, "--record", help="First fetch: record each URL's sha256 into --out."
    ),
    workers: int = typer.Option(8, "--workers", help="Parallel fetches."),
    timeout: float = typer.Option(
        20.0, "--timeout", help="Total seconds per URL (connect, redirects and body)."
    ),
    schemes: list[str] = typer.Option(
        list(DEFAULT_SCHEMES),
        "--scheme",
        help="Allowed URL scheme (repeatable; default http, https, file; a local path is file).",
    ),
    allow_private: bool = typer.Option(
        False,
        "--allow-private-redirects",
        help="Follow redirects to loopback/private/link-local addresses (refused by default).",
    ),
    max_drop_rate: float = typer.Option(
        0.0, "--max-drop-rate", help="Exit non-zero above this share rejected."
    ),
    as_json: bool = JsonOpt,
) -> None:
    """Split-view defence: re-fetch each URL and reject content that changed since first fetch."""
    if timeout <= 0 or workers < 1:
        fail("--timeout must be > 0 and --workers >= 1", EXIT_USAGE)
    bad = sorted({s.lower() for s in schemes} - {"http", "https", "file"})
    if bad:
        fail(f"--scheme {', '.join(bad)}: only http, https and file can be fetched", EXIT_USAGE)
    allowed = tuple(s.lower() for s in schemes)
    opts = {
        "workers": workers,
        "timeout": timeout,
        "schemes": allowed,
        "allow_private": allow_private,
    }

    if not urls.is_file():
        fail(f"{urls}: not a readable file", EXIT_USAGE)

    def go() -> None:
        try:
            if record:
                _refetch_record(urls, out, opts)
            else:
                _refetch_compare(urls, out, rejected, opts, max_drop_rate, as_json)
        except OSError as e:
            fail(f"{e.filename or urls}: {e.strerror or e}", EXIT_BAD_INPUT)

    run_guarded(go)


def _refetch_record(urls: Path, out: Path | None, opts: dict[str, Any]) -> None:
    if out is None:
        fail("--record needs --out", EXIT_USAGE)
        return
    found, problems = read_plain_urls(urls)
    if problems:
        fail(f"{len(problems)} bad line(s) in {urls}: " + "; ".join(problems[:5]), EXIT_BAD_INPUT)
    n_err = 0
    with AtomicFile(out) as f:
        for rec in record_hashes(found, **opts):
            n_err += "error" in rec
            f.fh.write(orjson.dumps(rec) + b"\n")
    console.print(f"recorded {len(found) - n_err:,} hashes, {n_err:,} unreachable → {out}")
    if n_err:
        _why(f"{n_err:,} URL(s) unreachable (their records in {out} say why)")
        raise typer.Exit(EXIT_FINDINGS)


def _refetch_compare(
    urls: Path,
    out: Path | None,
    rejected: Path | None,
    opts: dict[str, Any],
    max_drop_rate: float,
    as_json: bool,
) -> None:
    kept_f = AtomicFile(out) if out else None
    rej_f = AtomicFile(rejected) if rejected else None

    def stream() -> Any:
        for r in refetch_check(urls, **opts):
            if r.status == "ok" and kept_f:
                kept_f.fh.write(r.raw + b"\n")
            elif r.status != "ok" and rej_f:
                rej_f.fh.write(orjson.dumps(r.to_dict()) + b"\n")
            yield r

    try:
        rep = summarize(stream())
    except BaseException:
        for af in (kept_f, rej_f):
            if af is not None:
                af.abort()
        raise
    for af in (kept_f, rej_f):
        if af is not None:
            af.commit()
    data = rep.to_dict(limit=100)
    if as_json:
        emit_json(data)
    else:
        console.print(
            f"{rep.total:,} URLs: {rep.kept:,} unchanged, "
            f"{rep.total - rep.kept:,} rejected ({rep.drop_rate:.2%} drop rate) "
            + str({k: v for k, v in rep.by_status.items() if k != "ok"})
        )
        for r in rep.rejected[:10]:
            console.print(f"  [red]{r.status}[/] line {r.line} {r.url}: {r.reason}")
    if rep.drop_rate > max_drop_rate:
        _why(f"drop rate {rep.drop_rate:.2%} is above --max-drop-rate {max_drop_rate:.2%}")
        raise typer.Exit(EXIT_FINDINGS)


# -- keygen ---------------------------------------------------------------------------
@prov_app.command("keygen")
def keygen(
    prefix: Path = typer.Argument(..., help="Writes PREFIX.key (0600) and PREFIX.pub."),
    passphrase_env: str | None = PassEnvOpt,
    as_json: bool = JsonOpt,
) -> None:
    """Generate an Ed25519 key pair; the private key is never printed."""
    try:
        kp = generate_keypair(prefix, _passphrase(passphrase_env))
    except KeyError_ as e:
        fail(str(e), EXIT_USAGE)
        return
    pem = kp.public_path.read_text()
    data = {
        "keyid": kp.keyid,
        "private_key": str(kp.private_path),
        "public_key": str(kp.public_path),
        "policy_entry": {"keyid": kp.keyid, "public_key": pem},
    }
    if as_json:
        emit_json(data)
    else:
        console.print(
            f"key id {kp.keyid}\nprivate key → {kp.private_path} (mode 0600)\n"
            f"public key  → {kp.public_path}\nadd to the policy's signers.keys: "
            f'{{"keyid": "{kp.keyid}", "public_key": <contents of '
            f"{kp.public_path}>}}"
        )


def register(app: typer.Typer) -> None:
    """Add ``provenance`` to the main CLI."""
    app.add_typer(prov_app, name="provenance")
