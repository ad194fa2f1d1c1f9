"""The lineage ledger: every document version and every filter/scan it went through.

SQLAlchemy Core over SQLite (default, a file) or PostgreSQL (``postgresql+psycopg://...``).

Tables (``schema`` optional, e.g. one per test run on PostgreSQL):

* ``lineage_documents``: one row per *version* of a document: id, version, sha256, size,
  record_sha256, source URI, source id, licence (SPDX + raw), retrieved_at, derived_from,
  recorded_at and the version digest.  Rows are only ever inserted.
* ``lineage_heads``: the latest version of each id (what re-ingest compares against).
* ``lineage_events``: filter/scan events (name, version, result, time) pinned to a document
  version by its text SHA-256; a unique key makes re-recording the same event a no-op.

Ingest is batched: per batch of ids one SELECT of their heads, one multi-row INSERT of new
versions, one INSERT and one executemany UPDATE of heads.  Re-ingesting an unchanged corpus
writes nothing; a document whose lineage changed (text, record, source, licence...) gets a
new version row, the old one stays.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import (
    BigInteger,
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    any_,
    bindparam,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from poisonguard.provenance.canonical import jcs_fast, sha256_hex
from poisonguard.provenance.events import Event
from poisonguard.provenance.lineage import Lineage, iso, utc_now

SCHEMA_VERSION = "1"
_DOC_COLUMNS = (
    "doc_id",
    "version",
    "sha256",
    "size",
    "record_sha256",
    "source_uri",
    "source_id",
    "license",
    "license_raw",
    "retrieved_at",
    "derived_from",
    "digest",
    "recorded_at",
)


def _tables(schema: str | None) -> tuple[MetaData, Table, Table, Table]:
    md = MetaData(schema=schema)
    docs = Table(
        "lineage_documents",
        md,
        Column("row_id", Integer, primary_key=True, autoincrement=True),
        Column("doc_id", Text, nullable=False),
        Column("version", Integer, nullable=False),
        Column("sha256", String(64), nullable=False),
        Column("size", BigInteger, nullable=False),
        Column("record_sha256", String(64), nullable=False),
        Column("source_uri", Text),
        Column("source_id", Text),
        Column("license", Text, nullable=False),
        Column("license_raw", Text),
        Column("retrieved_at", String(32), nullable=False),
        Column("derived_from", Text),
        Column("digest", String(64), nullable=False),
        Column("recorded_at", String(32), nullable=False),
        UniqueConstraint("doc_id", "version", name="lineage_documents_id_version"),
    )
    heads = Table(
        "lineage_heads",
        md,
        Column("doc_id", Text, primary_key=True),
        Column("version", Integer, nullable=False),
        Column("digest", String(64), nullable=False),
        Column("sha256", String(64), nullable=False),
    )
    events = Table(
        "lineage_events",
        md,
        Column("row_id", Integer, primary_key=True, autoincrement=True),
        Column("event_key", String(64), nullable=False, unique=True),
        Column("doc_id", Text, nullable=False),
        Column("doc_sha256", String(64), nullable=False),
        Column("name", Text, nullable=False),
        Column("version", Text, nullable=False),
        Column("result", Text, nullable=False),
        Column("time", String(32), nullable=False),
        Index("lineage_events_doc", "doc_id"),
    )
    return md, docs, heads, events


def ledger_url(target: str | os.PathLike[str]) -> str:
    """A SQLAlchemy URL for ``target``: a URL is kept, a file path becomes SQLite."""
    s = os.fspath(target)
    if "://" in s:
        return s
    return f"sqlite:///{os.path.abspath(s)}"


@dataclass
class IngestStats:
    """What one ingest did."""

    seen: int = 0
    new_documents: int = 0
    new_versions: int = 0
    unchanged: int = 0
    events_recorded: int = 0
    events_duplicate: int = 0
    events_unknown_doc: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "seen": self.seen,
            "new_documents": self.new_documents,
            "new_versions": self.new_versions,
            "unchanged": self.unchanged,
            "events_recorded": self.events_recorded,
            "events_duplicate": self.events_duplicate,
            "events_unknown_document": len(self.events_unknown_doc),
        }


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One stored version of a document."""

    doc_id: str
    version: int
    sha256: str
    size: int
    record_sha256: str
    source_uri: str | None
    source_id: str | None
    license: str
    license_raw: str | None
    retrieved_at: str
    derived_from: list[str] | None
    digest: str
    recorded_at: str


class Ledger:
    """Per-document lineage in a SQL database (see module docstring).

    Args:
        target: SQLite file path, or a SQLAlchemy URL (``sqlite:///...``,
            ``postgresql+psycopg://user@host:port/db``).
        schema: database schema for the tables (PostgreSQL; created when missing).
        batch_size: documents per ingest batch.
    """

    def __init__(
        self, target: str | os.PathLike[str], *, schema: str | None = None, batch_size: int = 5000
    ) -> None:
        self.url = ledger_url(target)
        self.batch_size = batch_size
        self.engine: Engine = create_engine(self.url)
        self.dialect = self.engine.dialect.name
        if self.dialect == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        self.metadata, self.docs, self.heads, self.events = _tables(schema)
        with self.engine.begin() as conn:
            if schema and self.dialect == "postgresql":
                from sqlalchemy.schema import CreateSchema

                conn.execute(CreateSchema(schema, if_not_exists=True))
            self.metadata.create_all(conn)

    def __repr__(self) -> str:
        return f"Ledger({make_url(self.url).render_as_string(hide_password=True)!r})"

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- documents --------------------------------------------------------------------
    def ingest(
        self,
        lineages: Iterable[Lineage],
        *,
        stats: IngestStats | None = None,
        now: str | None = None,
    ) -> IngestStats:
        """Record documents' lineage in batches (idempotent; changes become new versions).

        ``retrieved_at`` is the record's own value when it has one, else the time of the
        first ingest of that version (``now``).
        """
        stats = stats or IngestStats()
        batch: list[Lineage] = []
        for lin in lineages:
            batch.append(lin)
            if len(batch) >= self.batch_size:
                self._ingest_batch(batch, stats, now)
                batch = []
        if batch:
            self._ingest_batch(batch, stats, now)
        return stats

    def _in(self, column: Any, ids: list[str]) -> Any:
        """``column IN ids``; one array parameter (``= ANY``) on PostgreSQL."""
        if self.dialect == "postgresql":
            return column == any_(bindparam(None, ids, type_=postgresql.ARRAY(Text)))
        return column.in_(ids)

    def _select_heads(self, conn: Any, ids: list[str]) -> dict[str, tuple[int, str, str]]:
        out: dict[str, tuple[int, str, str]] = {}
        h = self.heads
        for i in range(0, len(ids), 5000):
            rows = conn.execute(
                select(h.c.doc_id, h.c.version, h.c.digest, h.c.sha256).where(
                    self._in(h.c.doc_id, ids[i : i + 5000])
                )
            )
            for doc_id, version, digest, sha in rows:
                out[doc_id] = (version, digest, sha)
        return out

    def _ingest_batch(self, batch: list[Lineage], stats: IngestStats, now: str | None) -> None:
        stamp = now or iso(utc_now())
        with self.engine.begin() as conn:
            heads = self._select_heads(conn, list({lin.id for lin in batch}))
            known = set(heads)
            rows: list[tuple[Any, ...]] = []
            changed: dict[str, tuple[int, str, str]] = {}
            for lin in batch:
                stats.seen += 1
                digest = lin.digest
                head = heads.get(lin.id)
                if head is not None and head[1] == digest:
                    stats.unchanged += 1
                    continue
                version = head[0] + 1 if head else 1
                if head is None:
                    stats.new_documents += 1
                else:
                    stats.new_versions += 1
                heads[lin.id] = (version, digest, lin.sha256)
                changed[lin.id] = heads[lin.id]
                rows.append(
                    (
                        lin.id,
                        version,
                        lin.sha256,
                        lin.size,
                        lin.record_sha256,
                        lin.source,
                        lin.source_id,
                        lin.license,
                        lin.license_raw,
                        lin.retrieved_at or stamp,
                        (
                            orjson.dumps(list(lin.derived_from)).decode()
                            if lin.derived_from is not None
                            else None
                        ),
                        digest,
                        stamp,
                    )
                )
            if not rows:
                return
            self._executemany(conn, self.docs, _DOC_COLUMNS, rows)
            inserts = [(k, v, d, s) for k, (v, d, s) in changed.items() if k not in known]
            updates = [
                {"b_id": k, "b_version": v, "b_digest": d, "b_sha": s}
                for k, (v, d, s) in changed.items()
                if k in known
            ]
            if inserts:
                self._executemany(
                    conn, self.heads, ("doc_id", "version", "digest", "sha256"), inserts
                )
            if updates:
                h = self.heads
                conn.execute(
                    update(h)
                    .where(h.c.doc_id == bindparam("b_id"))
                    .values(
                        version=bindparam("b_version"),
                        digest=bindparam("b_digest"),
                        sha256=bindparam("b_sha"),
                    ),
                    updates,
                )

    def _executemany(
        self, conn: Any, table: Table, columns: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> None:
        """Insert positional rows in bulk: ``COPY`` on PostgreSQL (psycopg), a plain DBAPI
        ``executemany`` elsewhere (no per-row SQLAlchemy work), in the caller's transaction."""
        prep = self.engine.dialect.identifier_preparer
        target = f"{prep.format_table(table)} ({', '.join(prep.quote(c) for c in columns)})"
        if self.dialect == "postgresql" and self.engine.dialect.driver == "psycopg":
            cur = conn.connection.cursor()
            try:
                with cur.copy(f"COPY {target} FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            finally:
                cur.close()
            return
        mark = "?" if self.engine.dialect.paramstyle == "qmark" else "%s"
        conn.exec_driver_sql(
            f"INSERT INTO {target} VALUES ({', '.join([mark] * len(columns))})", rows
        )

    # -- events -----------------------------------------------------------------------
    def record_events(
        self, events: Iterable[Event], *, stats: IngestStats | None = None
    ) -> IngestStats:
        """Record filter/scan events (idempotent).

        An event without ``sha256`` applies to the document's current version; an event
        for an id the ledger does not know is not recorded and is listed in
        ``stats.events_unknown_doc``.
        """
        stats = stats or IngestStats()
        batch: list[Event] = []
        for ev in events:
            batch.append(ev)
            if len(batch) >= self.batch_size:
                self._events_batch(batch, stats)
                batch = []
        if batch:
            self._events_batch(batch, stats)
        return stats

    def _events_batch(self, batch: list[Event], stats: IngestStats) -> None:
        insert = postgresql.insert if self.dialect == "postgresql" else sqlite.insert
        with self.engine.begin() as conn:
            heads = self._select_heads(conn, list({e.id for e in batch}))
            rows: dict[str, dict[str, Any]] = {}
            for ev in batch:
                head = heads.get(ev.id)
                if head is None:
                    stats.events_unknown_doc.append(ev.id)
                    continue
                sha = ev.sha256 or head[2]
                row = {
                    "doc_id": ev.id,
                    "doc_sha256": sha,
                    "name": ev.name,
                    "version": ev.version,
                    "result": ev.result,
                    "time": ev.time,
                }
                key = sha256_hex(jcs_fast(row))
                if key in rows:
                    stats.events_duplicate += 1
                    continue
                rows[key] = {"event_key": key, **row}
            if not rows:
                return
            stmt = insert(self.events).on_conflict_do_nothing(index_elements=["event_key"])
            result = conn.execute(stmt.returning(self.events.c.event_key), list(rows.values()))
            inserted = len(result.fetchall())
            stats.events_recorded += inserted
            stats.events_duplicate += len(rows) - inserted

    # -- queries ----------------------------------------------------------------------
    def _entry(self, row: Any) -> LedgerEntry:
        return LedgerEntry(
            doc_id=row.doc_id,
            version=row.version,
            sha256=row.sha256,
            size=row.size,
            record_sha256=row.record_sha256,
            source_uri=row.source_uri,
            source_id=row.source_id,
            license=row.license,
            license_raw=row.license_raw,
            retrieved_at=row.retrieved_at,
            derived_from=orjson.loads(row.derived_from) if row.derived_from else None,
            digest=row.digest,
            recorded_at=row.recorded_at,
        )

    def history(self, doc_id: str) -> list[LedgerEntry]:
        """All versions of one document, oldest first."""
        d = self.docs
        with self.engine.connect() as conn:
            rows = conn.execute(select(d).where(d.c.doc_id == doc_id).order_by(d.c.version))
            return [self._entry(r) for r in rows]

    def latest(self, doc_id: str) -> LedgerEntry | None:
        """The current version of one document, or None."""
        hist = self.history(doc_id)
        return hist[-1] if hist else None

    def events_for(self, doc_id: str, sha256: str | None = None) -> list[Event]:
        """Events of one document (of one content version when ``sha256`` is given)."""
        evs: list[Event] = self.lookup([doc_id]).get(doc_id, {}).get("events_all", [])
        return [e for e in evs if sha256 is None or e.sha256 == sha256]

    def lookup(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Heads, retrieved_at of the head version, and all events for many ids at once.

        Returns ``{id: {"version", "digest", "sha256", "retrieved_at", "events_all"}}``.
        """
        out: dict[str, dict[str, Any]] = {}
        d, ev = self.docs, self.events
        with self.engine.connect() as conn:
            heads = self._select_heads(conn, ids)
            for k, (v, dg, s) in heads.items():
                out[k] = {"version": v, "digest": dg, "sha256": s, "events_all": []}
            hid = list(heads)
            for i in range(0, len(hid), 5000):
                part = hid[i : i + 5000]
                rows = conn.execute(
                    select(d.c.doc_id, d.c.version, d.c.retrieved_at).where(
                        self._in(d.c.doc_id, part)
                    )
                )
                for doc_id, version, retrieved in rows:
                    if out[doc_id]["version"] == version:
                        out[doc_id]["retrieved_at"] = retrieved
                erows = conn.execute(
                    select(
                        ev.c.doc_id,
                        ev.c.doc_sha256,
                        ev.c.name,
                        ev.c.version,
                        ev.c.result,
                        ev.c.time,
                    ).where(self._in(ev.c.doc_id, part))
                )
                for doc_id, sha, name, version, result, t in erows:
                    out[doc_id]["events_all"].append(Event(doc_id, name, version, result, t, sha))
        return out

    def counts(self) -> dict[str, int]:
        """Rows per table: documents (ids), versions, events."""
        from sqlalchemy import func

        tables = {"documents": self.heads, "versions": self.docs, "events": self.events}
        with self.engine.connect() as conn:
            return {
                name: conn.execute(select(func.count()).select_from(t)).scalar_one()
                for name, t in tables.items()
            }

    def iter_heads(self) -> Iterator[LedgerEntry]:
        """Current version of every document, by id."""
        d, h = self.docs, self.heads
        q = (
            select(d)
            .join(h, (h.c.doc_id == d.c.doc_id) & (h.c.version == d.c.version))
            .order_by(d.c.doc_id)
        )
        with self.engine.connect() as conn:
            for row in conn.execute(q):
                yield self._entry(row)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()
