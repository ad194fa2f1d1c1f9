"""The one document model used everywhere in poisonguard.

A :class:`Document` is either plain text (pre-training / RAG data) or a
conversation (instruction / chat data).  Instruction data arrives in several
shapes (chat ``messages``, ShareGPT ``conversations``, Alpaca
``instruction``/``input``/``output``, ``prompt``/``response``,
``prompt``/``completion``, preference ``prompt``/``chosen``/``rejected``); all of
them are read into ``messages`` and written back in their original shape by
:meth:`Document.to_record`.

``text`` is always defined: for conversations it is the contents of the turns
joined by blank lines, so text-level detectors see every word.  ``sha256`` is
the SHA-256 of the exact UTF-8 bytes of ``text``.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

Shape = Literal[
    "text", "messages", "sharegpt", "alpaca", "prompt_response", "prompt_completion", "preference"
]
"""The record shapes poisonguard reads and writes back."""

SHAPES: tuple[str, ...] = (
    "text",
    "messages",
    "sharegpt",
    "alpaca",
    "prompt_response",
    "prompt_completion",
    "preference",
)

_SHAREGPT_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "system": "system",
    "bot": "assistant",
    "model": "assistant",
}
_SHAREGPT_BACK = {"user": "human", "assistant": "gpt", "system": "system"}


@dataclass(frozen=True, slots=True)
class Origin:
    """Where a record was read from: file, 1-based line (or row), and byte offset when known."""

    file: str
    line: int | None = None
    offset: int | None = None

    def __str__(self) -> str:
        loc = self.file
        if self.line is not None:
            loc += f":{self.line}"
        elif self.offset is not None:
            loc += f"@{self.offset}"
        return loc


@dataclass(slots=True)
class Document:
    """One training document.

    Attributes:
        id: stable identifier (from the id field, or derived from file and line).
        text: the document text; for conversations the turn contents joined by ``"\\n\\n"``.
        messages: chat turns ``[{"role": ..., "content": ...}]`` for instruction data, else None.
        source: source URI (URL from the record when present, else ``file://path#Lline``).
        metadata: free-form metadata (the record's ``meta``/``metadata`` field, if any).
        shape: the record shape the document was read from and is written back as.
        text_field: name of the text field for ``shape == "text"``.
        id_field: name of the id field in the original record.
        record: the original record (all fields), used to write the document back unchanged.
        raw: the original serialized bytes (one JSONL line without newline) when the source
            was JSON Lines; writers emit them verbatim while the document is unmodified.
        origin: file/line/offset the document was read from.
    """

    id: str
    text: str
    messages: list[dict[str, str]] | None = None
    source: str = ""
    metadata: dict[str, Any] = field(default_factory=dict)
    shape: Shape = "text"
    text_field: str = "text"
    id_field: str = "id"
    record: dict[str, Any] | None = None
    raw: bytes | None = None
    origin: Origin | None = None

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the exact UTF-8 bytes of :attr:`text`."""
        return hashlib.sha256(self.text.encode("utf-8", "surrogatepass")).hexdigest()

    @property
    def is_chat(self) -> bool:
        """True for instruction/chat documents (``messages`` is set)."""
        return self.messages is not None

    def with_text(self, text: str) -> Document:
        """A copy with new text (plain documents); drops the verbatim bytes."""
        if self.messages is not None:
            raise ValueError("with_text() is for plain documents; use with_messages()")
        return Document(
            id=self.id,
            text=text,
            source=self.source,
            metadata=dict(self.metadata),
            shape=self.shape,
            text_field=self.text_field,
            id_field=self.id_field,
            record=self.record,
            raw=None,
            origin=self.origin,
        )

    def with_messages(self, messages: list[dict[str, str]]) -> Document:
        """A copy with new chat turns; ``text`` is recomputed and the verbatim bytes dropped."""
        return Document(
            id=self.id,
            text=join_messages(messages),
            messages=[dict(m) for m in messages],
            source=self.source,
            metadata=dict(self.metadata),
            shape=self.shape,
            text_field=self.text_field,
            id_field=self.id_field,
            record=self.record,
            raw=None,
            origin=self.origin,
        )

    def user_text(self) -> str:
        """Contents of the user turns (empty for plain documents)."""
        return "\n\n".join(m["content"] for m in self.messages or [] if m["role"] == "user")

    def assistant_text(self) -> str:
        """Contents of the assistant turns (empty for plain documents)."""
        return "\n\n".join(m["content"] for m in self.messages or [] if m["role"] == "assistant")

    def turn_pairs(self) -> list[tuple[int, int]]:
        """(user turn index, assistant turn index) of every answered user turn."""
        msgs = self.messages or []
        out = []
        for i, m in enumerate(msgs):
            if m.get("role") != "user":
                continue
            for j in range(i + 1, len(msgs)):
                if msgs[j].get("role") == "assistant":
                    out.append((i, j))
                    break
                if msgs[j].get("role") == "user":
                    break
        return out

    def turn_offsets(self) -> list[int]:
        """Start offset of each turn's content in :attr:`text` (turns joined by blank lines,
        as :func:`join_messages` joins them)."""
        offs, at = [], 0
        for m in self.messages or []:
            offs.append(at)
            at += len(m["content"]) + 2
        return offs

    def to_record(self) -> dict[str, Any]:
        """The document as a record in its original shape and schema.

        Fields of the original record that poisonguard does not interpret are kept.
        """
        rec: dict[str, Any] = copy.deepcopy(self.record) if self.record is not None else {}
        if self.record is None or self.id_field in rec or not self.record:
            rec[self.id_field] = self.id
        if self.shape == "text":
            rec[self.text_field] = self.text
            if self.record is None:
                if self.source:
                    rec["source"] = self.source
                if self.metadata:
                    rec["meta"] = self.metadata
            return rec
        msgs = self.messages or []
        if self.shape == "messages":
            rec["messages"] = [dict(m) for m in msgs]
        elif self.shape == "sharegpt":
            rec["conversations"] = [
                {"from": _SHAREGPT_BACK.get(m["role"], m["role"]), "value": m["content"]}
                for m in msgs
            ]
        else:
            user, assistant = _first_turns(msgs)
            if self.shape == "alpaca":
                instr, inp = rec.get("instruction", ""), rec.get("input", "")
                if not (inp and user == f"{instr}\n\n{inp}"):
                    rec["instruction"], rec["input"] = user, ""
                rec["output"] = assistant
            elif self.shape == "prompt_response":
                rec["prompt"], rec["response"] = user, assistant
            elif self.shape == "prompt_completion":
                rec["prompt"], rec["completion"] = user, assistant
            elif self.shape == "preference":
                rec["prompt"], rec["chosen"] = user, assistant
        if self.record is None and self.metadata:
            rec["meta"] = self.metadata
        return rec


def join_messages(messages: list[dict[str, str]]) -> str:
    """The ``text`` of a conversation: turn contents joined by blank lines."""
    return "\n\n".join(m["content"] for m in messages)


def _first_turns(messages: list[dict[str, str]]) -> tuple[str, str]:
    user = next((m["content"] for m in messages if m["role"] == "user"), "")
    assistant = next((m["content"] for m in messages if m["role"] == "assistant"), "")
    return user, assistant


class RecordError(ValueError):
    """A record that cannot be turned into a :class:`Document` (the message says why).

    ``kind`` is ``missing_field`` when a required field is absent, else ``bad_record``.
    """

    def __init__(self, message: str, kind: str = "bad_record") -> None:
        super().__init__(message)
        self.kind = kind


def _str(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise RecordError(f"field {name!r} is {type(value).__name__}, expected a string")
    return value


def detect_shape(record: dict[str, Any], text_field: str | None = None) -> Shape:
    """Guess the shape of a record from its fields.

    ``text_field`` (when given) forces the plain-text shape on that field.
    """
    if text_field:
        return "text"
    if "messages" in record and isinstance(record["messages"], list):
        return "messages"
    if "conversations" in record and isinstance(record["conversations"], list):
        return "sharegpt"
    if "instruction" in record and "output" in record:
        return "alpaca"
    if "prompt" in record and "chosen" in record:
        return "preference"
    if "prompt" in record and "response" in record:
        return "prompt_response"
    if "prompt" in record and "completion" in record:
        return "prompt_completion"
    return "text"


def record_to_document(
    record: Any,
    *,
    default_id: str,
    origin: Origin | None = None,
    text_field: str | None = None,
    id_field: str | None = None,
    raw: bytes | None = None,
) -> Document:
    """Build a :class:`Document` from one parsed record.

    Raises :class:`RecordError` with a human-readable reason when the record has no usable
    text (missing field, wrong type, malformed conversation).
    """
    if not isinstance(record, dict):
        raise RecordError(f"record is a JSON {type(record).__name__}, expected an object")
    shape = detect_shape(record, text_field)
    idf = id_field or "id"
    rid = record.get(idf)
    if rid is None or rid == "":
        if id_field:
            raise RecordError(f"record has no id field {id_field!r}", "missing_field")
        doc_id = default_id
    else:
        doc_id = str(rid)
    meta = record.get("meta", record.get("metadata"))
    metadata = meta if isinstance(meta, dict) else {}
    src = record.get("source_uri") or record.get("url") or metadata.get("url")
    if not isinstance(src, str) or not src:
        src = (
            f"file://{origin.file}#L{origin.line}"
            if origin and origin.line
            else (f"file://{origin.file}" if origin else "")
        )
    messages: list[dict[str, str]] | None = None
    tf = text_field or "text"
    if shape == "text":
        if tf not in record:
            if not text_field:
                for alt in ("content", "body", "document", "passage"):
                    if alt in record:
                        tf = alt
                        break
            if tf not in record:
                keys = ", ".join(sorted(record)[:8]) or "none"
                raise RecordError(
                    f"record has no text field {tf!r} (fields: {keys})", "missing_field"
                )
        text = _str(record[tf], tf)
    elif shape == "messages":
        messages = []
        for i, m in enumerate(record["messages"]):
            if not isinstance(m, dict) or "role" not in m or "content" not in m:
                raise RecordError(f"messages[{i}] lacks role/content")
            messages.append(
                {
                    "role": _str(m["role"], "role"),
                    "content": _str(m["content"], f"messages[{i}].content"),
                }
            )
        text = join_messages(messages)
    elif shape == "sharegpt":
        messages = []
        for i, m in enumerate(record["conversations"]):
            if not isinstance(m, dict) or "from" not in m or "value" not in m:
                raise RecordError(f"conversations[{i}] lacks from/value")
            role = _SHAREGPT_ROLES.get(_str(m["from"], "from"), str(m["from"]))
            messages.append({"role": role, "content": _str(m["value"], f"conversations[{i}]")})
        text = join_messages(messages)
    else:
        if shape == "alpaca":
            instr = _str(record["instruction"], "instruction")
            inp = record.get("input") or ""
            user = f"{instr}\n\n{_str(inp, 'input')}" if inp else instr
            assistant = _str(record["output"], "output")
        else:
            answer_field = {
                "prompt_response": "response",
                "prompt_completion": "completion",
                "preference": "chosen",
            }[shape]
            user = _str(record["prompt"], "prompt")
            assistant = _str(record[answer_field], answer_field)
        messages = [{"role": "user", "content": user}, {"role": "assistant", "content": assistant}]
        text = join_messages(messages)
    return Document(
        id=doc_id,
        text=text,
        messages=messages,
        source=src,
        metadata=metadata,
        shape=shape,
        text_field=tf,
        id_field=idf,
        record=record,
        raw=raw,
        origin=origin,
    )
