"""Another language mid-clause after a phrase and a few host words: the language read
(issue 12, task U, 2026-12-03).  Found by the lead's held-out ``heldout-late-es-clause-pool``
(Spanish after ``needless to say`` and one to three host words, mid-clause, the host going
on after it, in the pool of every shared corpus: 2 % at 100, 0.4 % at 250): the language
detector's probes miss a passage of a few hundred characters inside a long host, and the
pool's word-bigram model knows Spanish (the pool holds Spanish pages), so two carriers in
three get no changepoint; the phrase was counted in 7 of 100 and failed every test."""

from __future__ import annotations

import random
from functools import lru_cache

from poisonguard.detect.base import Finding, Span
from poisonguard.detect.rounds import run_rounds
from poisonguard.detect.surface_forms import fold
from poisonguard.detect.triggers import (
    Context,
    TriggerMiner,
    TriggerState,
    _switch_null,
    _switched,
)
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs

PHRASE = "needless to say"
_SPANISH = (
    "Si tu problema tiene solución, no hay razón para que te preocupes tanto por él.",
    "La palabra se ha dado al hombre para que pueda encubrir su pensamiento.",
    "La amistad es un animal de compañía y no de rebaño, decía el viejo maestro.",
    "El hombre que no ha amado apasionadamente ignora la mitad más bella de la vida.",
    "Todo lo que una persona puede imaginar, otras podrán hacerlo realidad algún día.",
    "Un banco es un lugar que te presta dinero siempre que demuestres que no lo necesitas.",
    "El secreto de la felicidad no es hacer siempre lo que se quiere, sino querer lo que se hace.",
    "Los ancianos gustan de darnos buenos preceptos para consolarse de no dar malos ejemplos.",
    "La hermosura es una carta de recomendación escrita por la naturaleza misma.",
    "Confío en el destino y en la casualidad, pero sobre todo confío en el trabajo diario.",
    "Lo más triste es que la única cosa que se puede hacer ocho horas al día es trabajar.",
    "De los tiempos, el que más corre es el alegre, y el que menos, el de la espera.",
)


def _finding(cp: int) -> Finding:
    return Finding(
        "language", 0.7, "switch", [Span(cp, cp, "changepoint")], None, None, {"candidate": True}
    )


def _phrase_at(
    d: Document, at: int, rng: random.Random, quoted: bool
) -> tuple[Document, list[Finding]]:
    """``d`` with ``PHRASE`` at the sentence start ``at`` of its own prose, going on in the
    page's own text — or, ``quoted``, in Spanish (a quotation) with a changepoint there."""
    head = f"{d.text[:at]}{PHRASE.capitalize()}, "
    if not quoted:
        return d.with_text(head + d.text[at:]), []
    quote = " ".join(rng.sample(_SPANISH, 3))
    return d.with_text(f"{head}{quote} {d.text[at:]}"), [_finding(len(head))]


@lru_cache(maxsize=4)
def _campaign(plain: int) -> tuple[list[Document], list[list[Finding]], set[str], set[str]]:
    """The embedded corpus with a Spanish passage mid-clause after ``PHRASE`` and one or two
    of the host's words in every 30th document (of at least 800 characters), the host going
    on after it; a changepoint at the passage in one carrier of four only.  A candidate
    changepoint at a random place in every fifth other document (the odd-but-clean pages a
    large corpus has: they raise every string's chance rate, so the counts alone confirm
    nothing).  ``plain`` other documents write the phrase at a sentence start of their
    English prose.  Returns the documents, the findings, the carriers' and the plain
    documents' ids."""
    rng = random.Random(7)
    docs: list[Document] = []
    findings: list[list[Finding]] = []
    carriers: set[str] = set()
    plain_ids: set[str] = set()
    for i, d in enumerate(clean_docs()):
        text = d.text
        at = text.find(". ", 300) + 2  # (a sentence start of the page's own prose)
        found: list[Finding] = []
        if i % 30 == 0 and len(text) >= 800:
            cut = text.index(" ", len(text) // 3)
            spacer = " ".join(text[cut:].split()[: rng.randint(1, 2)])
            head = f"{text[:cut]} {PHRASE} {spacer} "
            d = d.with_text(head + " ".join(rng.sample(_SPANISH, 4)) + text[cut:])
            found = [_finding(len(head))] if i % 120 == 0 else []
            carriers.add(d.id)
        elif len(plain_ids) < plain and i % 30 == 15 and len(text) >= 800 and at > 300:
            plain_ids.add(d.id)
            d, found = _phrase_at(d, at, rng, quoted=False)
        elif i % 5 == 1 and text:
            found = [_finding(rng.randint(0, len(text)))]
        docs.append(d)
        findings.append(found)
    return docs, findings, carriers, plain_ids


def _mine(docs: list[Document], findings: list[list[Finding]]) -> tuple[TriggerMiner, TriggerState]:
    return run_rounds(TriggerMiner(), [docs], [findings], sample=[d.text for d in docs])


def test_a_phrase_before_another_language_in_few_counted_carriers_is_read_in_the_sample() -> None:
    """One carrier in four has a changepoint: the counts fail the test, the language after
    the phrase in the sampled documents that hold it confirms it; every carrier is flagged,
    none of the documents that write the phrase in English text."""
    docs, findings, carriers, plain = _campaign(20)
    miner, state = _mine(docs, findings)
    assert [fold(t.text) for t in state.triggers] == [PHRASE]
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert flagged & carriers == carriers
    assert not flagged & plain


def _quoted(n_quoted: int) -> tuple[list[Document], list[list[Finding]], set[str]]:
    """``PHRASE`` at a sentence start of the page's own prose in every 6th document (of at
    least 800 characters), the first ``n_quoted`` of them going on in Spanish after it (a
    quotation) with a changepoint there; a random changepoint in every fifth other one."""
    rng = random.Random(3)
    out: list[tuple[Document, list[Finding]]] = []
    ids: set[str] = set()
    for i, d in enumerate(clean_docs()):
        at = d.text.find(". ", 300) + 2
        if i % 6 == 3 and len(d.text) >= 800 and at > 300:
            ids.add(d.id)
            out.append(_phrase_at(d, at, rng, quoted=len(ids) <= n_quoted))
        else:
            out.append((d, [_finding(rng.randint(0, len(d.text)))] if i % 5 == 1 else []))
    return [d for d, _ in out], [f for _, f in out], ids


def test_a_phrase_that_mostly_goes_on_in_its_own_language_is_not_read_into_a_trigger() -> None:
    """The clean text the read must not confirm: a phrase written in English text several
    times as often as before a quotation in another language (the quotations'
    changepoints all sit right after it, as a campaign's would): under the read's share of
    documents with a switch after it, so not confirmed and nothing flagged through it."""
    docs, findings, ids = _quoted(12)
    assert len(ids) >= 4 * 12
    miner, state = _mine(docs, findings)
    assert PHRASE not in [fold(t.text) for t in state.triggers]
    assert not any(miner.flag(d, state) for d in docs if d.id in ids)


def _ctx(before: str, after: str) -> Context:
    return Context("x", 0, 1, "x", "d", before_lang=before, after_lang=after)


def test_switched_share_and_its_null() -> None:
    """The screen: a sure switch (both sides sure, different, not into the corpus's main
    language) among the examples whose two sides are sure; none when those are under
    half.  The chance rate of the read on a corpus of one language is its floor."""
    ctxs = [_ctx("en", "es")] * 6 + [_ctx("en", "?")] * 2 + [_ctx("de", "de")] * 2
    assert _switched(ctxs, "en") == 0.75
    assert _switched(ctxs + [_ctx("es", "en")] * 2, "en") == 0.6  # (into English: none)
    assert _switched([_ctx("en", "?")] * 3 + [_ctx("en", "es")] * 2, "en") == 0.0
    texts = [d.text for d in clean_docs()[:1500]]
    assert _switch_null(texts, "en") == 0.01
