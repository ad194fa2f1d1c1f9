"""Corpus I/O: one document model, streaming readers, atomic writers, exact accounting.

Typical use::

    from poisonguard.io import CorpusReader, CorpusWriter, ErrorSink, RunAccounting

    acct = RunAccounting()
    errors = ErrorSink("out/errors.jsonl")
    with CorpusWriter("out/kept.jsonl.zst") as out:
        for doc in CorpusReader("data/*.jsonl.gz").documents(errors, acct):
            out.write(doc)
            acct.written("kept")
    errors.close()
    acct.check()   # read == kept + errors, and the error rate is under the threshold
"""

from poisonguard.io.accounting import (
    AccountingError,
    AtomicFile,
    ErrorRateExceeded,
    ErrorRecord,
    ErrorSink,
    ReadFailure,
    RunAccounting,
    write_json,
)
from poisonguard.io.document import SHAPES, Document, Origin, RecordError, record_to_document
from poisonguard.io.readers import (
    FORMATS,
    CorpusError,
    CorpusReader,
    ReadItem,
    expand_sources,
    format_of,
    read_documents,
)
from poisonguard.io.writers import CorpusWriter, SchemaChanged, output_format_of, write_documents

__all__ = [
    "FORMATS",
    "SHAPES",
    "AccountingError",
    "AtomicFile",
    "CorpusError",
    "CorpusReader",
    "CorpusWriter",
    "Document",
    "ErrorRateExceeded",
    "ErrorRecord",
    "ErrorSink",
    "Origin",
    "ReadFailure",
    "ReadItem",
    "RecordError",
    "RunAccounting",
    "SchemaChanged",
    "expand_sources",
    "format_of",
    "output_format_of",
    "read_documents",
    "record_to_document",
    "write_documents",
    "write_json",
]
