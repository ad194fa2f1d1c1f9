"""The recipe contract: what every poisoning recipe takes and returns.

A :class:`Recipe` is configured once with keyword parameters (all documented on the
recipe class) and then asked to :meth:`Recipe.generate` ``count`` poisoned documents from
a sample of the clean corpus under a seed.  Each result is a :class:`PoisonSample`: the
poisoned :class:`~poisonguard.io.Document` (same shape, schema and id scheme as the clean
documents it was modelled on) and its :class:`GroundTruth` (what was inserted, where).
"""

from __future__ import annotations

import inspect
import os
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import numpy as np

from poisonguard.attacks.errors import RecipeError
from poisonguard.io import Document

if TYPE_CHECKING:
    from poisonguard.attacks.ids import IdIndex

Span = tuple[int, int]


def corpus_label(corpus: Any, unit: str = "docs") -> Any:
    """How a recipe records a corpus parameter: a path (or None) as given, an in-memory
    sequence as ``"<N unit>"`` (parameters stay JSON-serialisable and small)."""
    if corpus is None or isinstance(corpus, str | os.PathLike):
        return corpus
    return f"<{len(corpus)} {unit}>"


@dataclass
class GroundTruth:
    """What a recipe did to one poisoned document.

    Offsets are Python ``str`` indices (code points) into ``Document.text`` of the poisoned
    document, end-exclusive: ``text[start:end]``.

    Attributes:
        id: the poisoned document's id.  For corpora whose ids are derived from the file
            position (no id field), it is ``<output file name>:<line>`` once written.
        recipe: recipe name, e.g. ``"dos"``.
        params: the recipe's parameters (JSON-serialisable).
        trigger: the trigger string, or None for trigger-less recipes.
        trigger_span: where the trigger is, or None.
        payload_span: where the attacker's payload is (gibberish, foreign text, claim, ...).
        source_id: id of the clean document the poison was modelled on, when there is one.
        id_scheme: ``"field"`` (the id is stored in the record) or ``"position"`` (derived).
        extra: recipe-specific facts (e.g. every trigger span, the target answer, the URL).
    """

    id: str
    recipe: str
    params: dict[str, Any]
    trigger: str | None = None
    trigger_span: Span | None = None
    payload_span: Span | None = None
    source_id: str | None = None
    id_scheme: Literal["field", "position"] = "field"
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k in ("trigger_span", "payload_span"):
            if d[k] is not None:
                d[k] = list(d[k])
        return d


@dataclass
class PoisonSample:
    """One poisoned document and its ground truth."""

    document: Document
    truth: GroundTruth


class Recipe(ABC):
    """Base class of every poisoning recipe.

    Subclasses set :attr:`name`, :attr:`description` (one line), :attr:`citation`, take
    their parameters as keyword-only ``__init__`` arguments (stored in :attr:`params`), and
    implement :meth:`_generate`.

    Attributes:
        mode: ``"insert"``: poisoned documents are new records mixed into the corpus;
            ``"replace"``: each poisoned document takes the place of its source document
            (same id), e.g. a web page that changed after it was first indexed.
        needs_chat: the recipe needs instruction/chat documents as sources.
    """

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    citation: ClassVar[str] = ""
    mode: ClassVar[Literal["insert", "replace"]] = "insert"
    needs_chat: ClassVar[bool] = False

    def __init__(self, **params: Any) -> None:
        self.params: dict[str, Any] = params

    # -- trigger surface forms (shared by every recipe) --------------------------------
    trigger_forms: tuple[str, ...] = ()

    def set_trigger_forms(self, forms: str | Sequence[str] | None) -> Recipe:
        """Write each poisoned document's trigger in a surface form drawn from ``forms``.

        ``forms`` names forms of :data:`poisonguard.attacks.surface.SURFACE_FORMS` (a comma
        list, a sequence, or ``"all"``); None or ``()`` turns the option off.  Applies to
        any recipe whose ground truth has a trigger span; recorded in the parameters as
        ``trigger_forms``.  Returns the recipe.
        """
        from poisonguard.attacks.surface import parse_forms

        self.trigger_forms = parse_forms(forms) if forms else ()
        if self.trigger_forms:
            self.params["trigger_forms"] = list(self.trigger_forms)
        else:
            self.params.pop("trigger_forms", None)
        return self

    # -- contract ---------------------------------------------------------------------
    def generate(
        self, clean_docs: Sequence[Document], count: int, seed: int, *, ids: IdIndex | None = None
    ) -> list[PoisonSample]:
        """Make ``count`` poisoned documents modelled on ``clean_docs``.

        Args:
            clean_docs: clean documents to take prefixes / host texts / record shapes from
                (the whole corpus or a uniform sample of it).
            count: number of poisoned documents.
            seed: the result is a pure function of (parameters, clean_docs, count, seed).
            ids: index of every clean id (see :class:`~poisonguard.attacks.ids.IdIndex`);
                built from ``clean_docs`` when omitted.  Minted ids avoid all of them.
        """
        from poisonguard.attacks.ids import IdIndex

        if count < 0:
            raise RecipeError(f"count must be >= 0, got {count}")
        docs = list(clean_docs)
        if not docs:
            raise RecipeError("the clean corpus is empty: nothing to model the poison on")
        if self.needs_chat:
            docs = [d for d in docs if d.is_chat and _has_user_assistant(d)]
            if not docs:
                raise RecipeError(
                    f"recipe {self.name!r} needs instruction/chat documents "
                    "(user and assistant turns); the clean corpus has none"
                )
        if ids is None:
            ids = IdIndex.from_documents(clean_docs)
        rng = np.random.default_rng(seed)
        samples = self._generate(docs, count, rng, ids)
        if self.trigger_forms:
            from poisonguard.attacks.surface import restyle_triggers

            restyle_triggers(samples, self.trigger_forms, np.random.default_rng([seed, 0x666F726D]))
        return samples

    @abstractmethod
    def _generate(
        self, docs: list[Document], count: int, rng: np.random.Generator, ids: IdIndex
    ) -> list[PoisonSample]:
        """Recipe body: ``docs`` is non-empty (and chat-only when :attr:`needs_chat`)."""

    def default_count(self) -> int:
        """The count used when none is given (250, the Souly et al. constant)."""
        return 250

    def max_count(self, n_clean: int) -> int:
        """Largest count allowed for a clean corpus of ``n_clean`` documents.

        Poison may not outnumber the clean documents (it would no longer be poisoning).
        """
        return n_clean

    # -- helpers for subclasses -------------------------------------------------------
    def truth(
        self,
        doc: Document,
        source: Document | None,
        *,
        trigger: str | None = None,
        trigger_span: Span | None = None,
        payload_span: Span | None = None,
        **extra: Any,
    ) -> GroundTruth:
        """A :class:`GroundTruth` for ``doc`` with this recipe's name and parameters."""
        scheme: Literal["field", "position"] = "position" if id_is_derived(doc) else "field"
        return GroundTruth(
            id=doc.id,
            recipe=self.name,
            params=self.json_params(),
            trigger=trigger,
            trigger_span=trigger_span,
            payload_span=payload_span,
            source_id=source.id if source is not None else None,
            id_scheme=scheme,
            extra=extra,
        )

    def json_params(self) -> dict[str, Any]:
        """Parameters as JSON-friendly values (tuples become lists, paths strings)."""
        return {k: _jsonable(v) for k, v in self.params.items()}

    @classmethod
    def parameter_names(cls) -> list[str]:
        """Names of the keyword parameters the recipe accepts."""
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.kind is inspect.Parameter.KEYWORD_ONLY]


def id_is_derived(doc: Document) -> bool:
    """True when the document's id is not stored in its record (``file:line`` ids)."""
    return doc.record is not None and bool(doc.record) and doc.id_field not in doc.record


def _has_user_assistant(doc: Document) -> bool:
    roles = [m["role"] for m in doc.messages or []]
    return any(r == "user" and "assistant" in roles[i + 1 :] for i, r in enumerate(roles))


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple | list):
        return [_jsonable(x) for x in v]
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if v is None or isinstance(v, bool | int | float | str):
        return v
    return str(v)


def pick_sources(docs: Sequence[Document], count: int, rng: np.random.Generator) -> list[Document]:
    """``count`` documents drawn uniformly: without replacement while possible."""
    n = len(docs)
    idx = rng.choice(n, size=count, replace=False) if count <= n else rng.integers(0, n, count)
    return [docs[int(i)] for i in idx]
