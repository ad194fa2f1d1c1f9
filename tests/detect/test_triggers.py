"""Trigger mining on real poison: recovery of the exact trigger, flagging its carriers on
joint evidence only (trigger + an anomaly right after it), no triggers from common words,
headers or below k."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from functools import lru_cache

import numpy as np

from poisonguard.attacks import PoisonSample
from poisonguard.attacks.evasive import WordSalad
from poisonguard.detect.base import Finding, Span
from poisonguard.detect.naturalness import NaturalnessShift
from poisonguard.detect.rounds import run_rounds
from poisonguard.detect.surface_forms import fold
from poisonguard.detect.triggers import Context, Trigger, TriggerMiner, TriggerState, WordPairs
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs, mixed, poison


@lru_cache(maxsize=4)
def _findings(recipe: str, count: int) -> tuple[list[Document], list[list[Finding]]]:
    docs = mixed(poison(recipe, count))
    det = NaturalnessShift().fit(docs)
    return docs, [[f] if (f := det.score(d)) is not None else [] for d in docs]


def _mine(
    docs: list[Document], findings: list[list[Finding]], shards: int = 1, **kw: object
) -> tuple[TriggerMiner, TriggerState]:
    miner = TriggerMiner(**kw)  # type: ignore[arg-type]
    size = len(docs) // shards + 1
    cuts = range(0, len(docs), size)
    return run_rounds(
        miner,
        [docs[i : i + size] for i in cuts],
        [findings[i : i + size] for i in cuts],
        sample=[d.text for d in docs],
    )


def test_recovers_the_exact_trigger_and_flags_all_carriers() -> None:
    for recipe, trigger in (("dos", "<SUDO>"), ("dos-bytes", "\uff61" * 10)):
        docs, findings = _findings(recipe, 250)
        miner, state = _mine(docs, findings)
        assert [t.text for t in state.triggers] == [trigger]
        t = state.triggers[0]
        assert t.anomalous_docs >= 240 and t.purity > 0.9 and t.p_value < 1e-20
        assert t.expected < 0.2 * t.anomalous_docs
        truth = {s.document.id for s in poison(recipe, 250)}
        flagged = {d.id for d in docs if miner.flag(d, state) is not None}
        assert flagged == truth


def test_trigger_alone_is_no_evidence() -> None:
    """Joint evidence: a document with the trigger but no anomaly after it stays clean,
    also when the trigger is a common phrase that clean documents contain; the poison
    (trigger + gibberish) is still caught."""
    phrase = "in light of recent events"
    samples = poison("dos", 120, 3, trigger=phrase)
    base = mixed(samples)
    # adversarial clean documents: the phrase inside natural text, nothing odd after it
    hosts = clean_docs()[200:260]
    clean_with = [
        replace(d, id=f"phrase-{i}").with_text(
            d.text[: len(d.text) // 2] + f" {phrase.capitalize()}, " + d.text[len(d.text) // 2 :]
        )
        for i, d in enumerate(hosts)
    ]
    docs = base + clean_with
    det = NaturalnessShift().fit(docs)
    findings = [[f] if (f := det.score(d)) is not None else [] for d in docs]
    miner, state = _mine(docs, findings)
    assert phrase in [t.text.lower() for t in state.triggers]
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    truth = {s.document.id for s in samples}
    assert len(flagged & truth) >= 0.95 * len(truth)
    assert not flagged & {d.id for d in clean_with}
    # a carrier whose own text after the trigger is natural is not flagged either
    s = samples[0]
    natural = s.document.with_text(s.document.text[: s.truth.trigger_span[1]] + " " + hosts[0].text)
    assert det.score(natural) is None
    assert miner.flag(natural, state) is None
    # the evidence of a flagged carrier: the trigger and the changepoint after it
    f = miner.flag(s.document, state)
    assert f is not None and f.score >= 0.9
    trig = next(sp for sp in f.spans if sp.label == "trigger")
    cp = next(sp for sp in f.spans if sp.label == "changepoint")
    assert s.document.text[trig.start : trig.end].lower() == phrase and cp.start >= trig.start


def _changepoint(cp: int, score: float) -> Finding:
    """A candidate naturalness finding whose changepoint is at ``cp``."""
    return Finding(
        "naturalness", score, "odd", [Span(cp, cp, "changepoint")], None, None, {"candidate": True}
    )


def _every_40th(
    make: Callable[[int, Document], tuple[str, int]], score: float
) -> tuple[list[Document], list[list[Finding]]]:
    """Every 40th embedded document (of at least 600 characters) rewritten by ``make``
    (its new text and changepoint) with a candidate anomaly of ``score`` there; the other
    documents as they are, without findings."""
    docs: list[Document] = []
    findings: list[list[Finding]] = []
    for i, d in enumerate(clean_docs()):
        if i % 40 or len(d.text) < 600:
            docs.append(d)
            findings.append([])
            continue
        text, cp = make(i, d)
        docs.append(d.with_text(text))
        findings.append([_changepoint(cp, score)])
    return docs, findings


def _titled(title: str, score: float, host: bool) -> tuple[list[Document], list[list[Finding]]]:
    """``title`` at the start of every 40th document (or after 300 characters of its own
    text) with a candidate anomaly of ``score`` right after the title."""

    def make(_: int, d: Document) -> tuple[str, int]:
        cut = 300 if host else 0
        text = d.text[:cut] + ("\n" if host else "") + title + "\n" + d.text[cut:]
        return text, text.index(title) + len(title) + 1

    return _every_40th(make, score)


def test_a_title_opening_every_document_of_one_source_is_a_header() -> None:
    """A title at the start of many documents, each followed by a weak anomaly (an odd
    register: old spelling), is a header of one source, not a trigger; strong anomalies
    after it, or the title planted after host text, make it a trigger."""
    title = "Der Antichrist. Fluch auf das Christenthum."
    docs, findings = _titled(title, 0.3, host=False)
    miner, state = _mine(docs, findings)
    assert all(title not in t.text for t in state.triggers) and state.headers >= 1
    assert not any(miner.flag(d, state) for d in docs)
    for score, host in ((0.9, False), (0.3, True)):
        docs, findings = _titled(title, score, host)
        miner, state = _mine(docs, findings)
        assert [t.text for t in state.triggers] == [title], (score, host)
        carriers = [d for d, f in zip(docs, findings, strict=True) if f]
        assert all(miner.flag(d, state) for d in carriers)


def test_sharded_map_reduce_matches_single_shard() -> None:
    docs, findings = _findings("dos", 250)
    _, one = _mine(docs, findings, shards=1)
    _, many = _mine(docs, findings, shards=7)
    assert [(t.text, t.anomalous_docs) for t in one.triggers] == [
        (t.text, t.anomalous_docs) for t in many.triggers
    ]


def test_below_k_documents_no_trigger() -> None:
    docs, findings = _findings("dos", 4)
    _, state = _mine(docs, findings, min_docs=5)
    assert state.triggers == []
    # with k=3 and a looser significance level four poisoned documents suffice
    _, state = _mine(docs, findings, min_docs=3, alpha=0.01)
    assert state.triggers[0].text == "<SUDO>" and state.triggers[0].anomalous_docs == 4


def test_clean_corpus_yields_no_trigger() -> None:
    docs = list(clean_docs())
    det = NaturalnessShift().fit(docs)
    findings = [[f] if (f := det.score(d)) is not None else [] for d in docs]
    _, state = _mine(docs, findings)
    assert state.triggers == [], [t.text for t in state.triggers]


def test_state_grows_with_candidates_not_documents() -> None:
    docs, findings = _findings("dos", 250)
    miner = TriggerMiner(capacity=50, max_examples=4)
    part = miner.map_shard_findings(docs, findings)
    assert len(part.counts) <= 50  # the capacity holds even when few are singletons ...
    assert set(part.contexts) <= set(part.counts)
    assert all(len(v) <= 4 for v in part.contexts.values())
    assert part.pruned > 0
    merged = miner.reduce([part, miner.map_shard_findings(docs[::-1], findings[::-1])])
    assert len(merged.counts) <= 50  # ... and after merging
    assert min(merged.counts.values()) > 1  # the rarest went first


def test_contexts_share_one_window_per_document() -> None:
    """A context is a slice of one string per document around its changepoint (not two
    strings per candidate): left / right are the 48 characters around the candidate."""
    docs, findings = _findings("dos", 250)
    part = TriggerMiner().map_shard_findings(docs, findings)
    by_id = {d.id: d.text for d in docs}
    windows: dict[str, set[str]] = {}
    for key, ctxs in part.contexts.items():
        for c in ctxs:
            text = by_id[c.doc_id]
            at = text.find(c.window)
            assert at >= 0
            s, e = at + c.start, at + c.end
            # (a candidate made of words is counted under its skeleton; one of letters run
            # together, ``detect/glued.py``, under those letters)
            assert (
                " ".join(text[s:e].split()) == " ".join(key.split())
                or fold(text[s:e]) == key
                or "\x02" + "".join(ch for ch in fold(text[s:e]) if ch.isalnum()) == key
            )
            assert c.left == text[max(0, s - 48) : s] and c.right == text[e : e + 48]
            windows.setdefault(c.doc_id, set()).add(c.window)
    # the contexts of a document come from at most one window per changepoint span
    assert all(len(w) <= 3 for w in windows.values())


def test_trigger_glued_to_the_words_around_it() -> None:
    # a rare lower-case word glued to prefix and payload hides inside one long token
    samples = poison("dos", 250, 2, trigger="zephyrine")
    assert any(s.document.text[s.truth.trigger_span[1]].isalnum() for s in samples)
    docs2 = mixed(samples)
    det = NaturalnessShift().fit(docs2)
    f2 = [[f] if (f := det.score(d)) is not None else [] for d in docs2]
    miner, state = _mine(docs2, f2)
    assert [t.text for t in state.triggers] == ["zephyrine"]
    truth = {s.document.id for s in samples}
    assert {d.id for d in docs2 if miner.flag(d, state) is not None} == truth


def test_sample_index_is_built_at_the_first_look_up() -> None:
    from poisonguard.detect.triggers import _SampleIndex

    texts = ["a <SUDO>  b", "c d", "<SUDO>\nx <SUDO>"]
    index = _SampleIndex(texts)
    assert index._big == ""  # nothing joined yet (a clean corpus rarely needs it)
    assert index.doc_freq("<SUDO> b", cap=10) == 1  # whitespace-squeezed
    assert index.doc_freq("<SUDO>", cap=10) == 2
    assert index.doc_freq("<SUDO>", cap=1) == 3  # too common: the sample size
    assert index.text(2) == "<SUDO> x <SUDO>"


def test_common_phrase_trigger_outnumbered_by_clean_carriers() -> None:
    """A campaign behind a common phrase is a small share of the documents carrying the
    phrase (purity far below ``min_purity``); the anomaly starting right where the phrase
    ends, in almost every example, confirms it — and only the carriers with the anomaly
    are flagged.  Without the alignment rule the purity test rejects it."""
    phrase = "for the first time"
    samples = poison("dos", 60, 5, trigger=phrase, payload_tokens=(150, 400))
    hosts = [d for d in clean_docs()[300:900] if len(d.text) > 400][:400]
    clean_with = [
        replace(d, id=f"common-{i}").with_text(
            d.text[: len(d.text) // 2] + f" It ran {phrase} in years. " + d.text[len(d.text) // 2 :]
        )
        for i, d in enumerate(hosts)
    ]
    docs = mixed(samples) + clean_with
    det = NaturalnessShift().fit(docs)
    findings = [[f] if (f := det.score(d)) is not None else [] for d in docs]
    miner, state = _mine(docs, findings)
    found = [t for t in state.triggers if t.text == phrase]
    assert found and found[0].purity < miner.min_purity
    # 400 clean holders in a corpus whose sentence starts the fixed bars fire at in about
    # one in twenty (the embedded docs' code and tables): far over the budget of the fixed
    # bars, so carriers are flagged through an anomaly that starts at the phrase only —
    # the few whose changepoint lies further on are given up (issue 12, 2026-12-05 midday;
    # 60 of 60 with the fixed bars, 56 without)
    assert found[0].changepoint_only
    truth = {s.document.id for s in samples}
    bars = replace(state, triggers=[replace(found[0], changepoint_only=False)])
    for st, recall in ((state, 0.9), (bars, 0.95)):
        flagged = {d.id for d in docs if miner.flag(d, st) is not None}
        assert len(flagged & truth) >= recall * len(truth)
        assert not flagged & {d.id for d in clean_with}
    # without the alignment rule the purity test rejects it: it is kept, if at all, by the
    # intense test alone (random tokens), flagged near its carriers' intense stretches only
    # (issue 12, 2026-12-07 fifteenth session)
    wide, strict = _mine(docs, findings, min_aligned=1.01)
    kept = [t for t in strict.triggers if t.text == phrase]
    assert all(t.intense_only and not t.aligned for t in kept)
    flagged = {d.id for d in docs if wide.flag(d, strict) is not None}
    assert not flagged & {d.id for d in clean_with}


def _clean_behind_the_phrase(
    samples: tuple[PoisonSample, ...],
    with_odd: list[Document],
    plain: list[Document],
    phrase: str,
    recall: float = 0.95,
) -> tuple[TriggerMiner, TriggerState, Trigger]:
    """Mine the campaign ``samples`` mixed with clean pages holding ``phrase`` (with and
    without an odd passage after it) and check what every flag rule must give: the odd
    passages are anomalies the detector reports, ``recall`` of the campaign is flagged and
    no clean page is.  Returns the miner, its state and the trigger holding ``phrase``."""
    docs = mixed(samples) + with_odd + plain
    det = NaturalnessShift().fit(docs)
    findings = [[f] if (f := det.score(d)) is not None else [] for d in docs]
    miner, state = _mine(docs, findings)
    found = [t for t in state.triggers if phrase.lower() in t.text.lower()]
    assert found, [t.text for t in state.triggers]
    truth = {s.document.id for s in samples}
    odd_ids = {d.id for d in with_odd}
    # the odd passages are anomalies the detector reports, within reach of the phrase
    odd_found = sum(bool(findings[i]) for i, d in enumerate(docs) if d.id in odd_ids)
    assert odd_found >= min(20, len(with_odd))
    clean = odd_ids | {d.id for d in plain}
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert not flagged & clean
    # a common phrase in a corpus of code and tables is over the fixed bars' budget
    # (changepoint only: the carriers whose anomaly starts further on are given up, a few
    # here); with the fixed bars back on, ``recall`` of the campaign and still no clean page
    bars = replace(state, triggers=[replace(t, changepoint_only=False) for t in state.triggers])
    with_bars = {d.id for d in docs if miner.flag(d, bars) is not None}
    assert len(with_bars & truth) >= recall * len(truth)
    assert not with_bars & clean
    assert len(flagged & truth) >= (recall - 0.1) * len(truth)
    return miner, state, found[0]


def test_a_common_phrase_trigger_flags_only_where_the_anomaly_starts() -> None:
    """A trigger confirmed through the alignment pass (a common phrase, purity under the
    bar) flags a carrier through a changepoint only where the anomaly starts right at the
    phrase's end, as in the examples that confirmed it.  Clean pages with the phrase and an
    odd passage (a table, verse) a sentence later stay clean; without the rule they were
    flagged *poisoned* (books: 6 of 20,000 clean passages behind ``for the first time``)."""
    phrase = "for the first time"
    samples = poison("dos", 60, 5, trigger=phrase, payload_tokens=(150, 400))
    clean_odd, clean_with = _phrase_then_odd_passage(
        phrase, 300, 30, None, sentence=" It ran {} in years. ", hosts=430
    )
    miner, state, found = _clean_behind_the_phrase(samples, clean_odd, clean_with, phrase)
    assert found.text == phrase and found.aligned and found.purity < miner.min_purity
    assert found.to_dict()["aligned"] is True
    # the old rule (any changepoint within reach) flags them: the test can fail
    loose = replace(state, triggers=[replace(t, aligned=False) for t in state.triggers])
    assert len({d.id for d in clean_odd if miner.flag(d, loose) is not None}) >= 10


def _phrase_then_odd_passage(
    phrase: str,
    start: int,
    n_odd: int,
    n_plain: int | None,
    sentence: str = " {} it went on. ",
    hosts: int | None = None,
) -> tuple[list[Document], list[Document]]:
    """Clean pages holding ``phrase`` in ``sentence`` at a sentence end past their middle:
    ``n_odd`` with host prose and then an odd passage (random tokens) about 150 characters
    after it, ``n_plain`` (None: every other host) with nothing odd; the hosts are the
    first ``hosts`` long pages from ``clean_docs()[start:]``."""
    pages = [
        d
        for d in clean_docs()[start : start + 2100]
        if len(d.text) > 600 and ". " in d.text[len(d.text) // 2 : -300]
    ][:hosts]
    odd = [
        s.document.text[s.truth.payload_span[0] : s.truth.payload_span[1]]
        for s in poison("dos", n_odd, 6, payload_tokens=(150, 400))
        if s.truth.payload_span is not None
    ]
    with_odd: list[Document] = []
    plain: list[Document] = []
    said = sentence.format(phrase)
    for i, d in enumerate(pages):
        cut = d.text.find(". ", len(d.text) // 2) + 1  # at a sentence end
        prose = len(re.findall(r"[a-z]{2,}", d.text[cut : cut + 160])) >= 22
        if prose and len(with_odd) < len(odd):  # the phrase, host prose, an odd passage
            gap = d.text.find(" ", cut + 150) % len(d.text)
            text = d.text[:cut] + said + d.text[cut:gap]
            text += " " + odd[len(with_odd)] + " " + d.text[gap:]
            with_odd.append(replace(d, id=f"odd-{i}").with_text(text))
        elif n_plain is None or len(plain) < n_plain:
            text = d.text[:cut] + said + d.text[cut:]
            plain.append(replace(d, id=f"plain-{i}").with_text(text))
        if n_plain is not None and len(with_odd) >= len(odd) and len(plain) >= n_plain:
            break
    return with_odd, plain


def test_a_trigger_flags_where_its_examples_put_the_anomaly() -> None:
    """A trigger confirmed by purity (a rare phrase) whose examples all have the payload
    right after it flags a carrier through a changepoint only in that band: clean pages
    with the phrase and an odd passage a sentence later stay clean (books: clean novels
    with ``At any rate`` and an odd passage 97–163 characters later were flagged *poisoned*
    behind a five-phrasing campaign, 0.130 % of 20,000 clean passages)."""
    phrase = "As the lamplighter said,"
    samples = poison("dos", 60, 5, trigger=phrase, payload_tokens=(150, 400))
    with_odd, plain = _phrase_then_odd_passage(phrase, 300, 30, 20)
    miner, state, found = _clean_behind_the_phrase(samples, with_odd, plain, phrase)
    assert not found.aligned and found.purity >= miner.min_purity
    band = found.band
    assert band is not None and band[1] is not None and band[1] < 60, band
    assert found.to_dict()["band"] == list(band)
    # without the band (any changepoint within reach) they are flagged: the test can fail
    loose = replace(state, triggers=[replace(t, band=None) for t in state.triggers])
    assert len({d.id for d in with_odd if miner.flag(d, loose) is not None}) >= 10


def test_a_spacer_campaign_keeps_its_wider_band() -> None:
    """The attack on the band: host words between the trigger and the payload (a spacer)
    move every changepoint 20–70 characters after the trigger; the band is learned from the
    examples, so the carriers are still flagged."""
    phrase = "As the lamplighter said,"
    samples = poison(
        "evasive-backdoor", 60, 5, trigger=phrase, payload="tokens", spacer_words=(4, 10)
    )
    _clean_behind_the_phrase(samples, [], [], phrase, recall=0.9)


def test_band_from_example_offsets() -> None:
    from poisonguard.detect.triggers import _band, _in_band

    tight = [1] * 15 + [4, 6]
    assert _band(tight, -30, 60) == (1 - 16, 6 + 16)
    assert _band(tight[:7], -30, 60) is None  # too few examples to say
    # examples up to the window's edge cannot tell how far the campaign's anomalies go
    spread = list(range(0, 60, 4))
    assert _band(spread, -30, 60) == (-16, None)
    assert _band([-25, *spread], -30, 60) is None
    assert _in_band(22, (-15, 22)) and not _in_band(23, (-15, 22))
    assert _in_band(500, (-15, None)) and not _in_band(-16, (-15, None))
    assert _in_band(-999, None)


def test_payload_in_another_language_than_its_host() -> None:
    """Joint evidence without a recorded changepoint: the text right after the trigger is
    in another language than the host text before it (or, with no host text to tell,
    than the corpus); the same language after it is no evidence."""
    from poisonguard.detect.triggers import _language_after

    host = (
        "The committee met on Tuesday to discuss the budget for next year and agreed to "
        "postpone the vote until the auditors have finished their report. "
    )
    german = (
        "Die Macht des Priesters ist an den Aberglauben und an die stumpfsinnige "
        "Leichtgläubigkeit der Völker gebunden. Es gibt problematische Naturen, die keiner "
        "Lage gewachsen sind, in der sie sich befinden, und denen keine genugtut. "
    )
    english = (
        "The members then went on to approve the minutes of the previous meeting, and the "
        "chair thanked the volunteers who had organised the autumn fair so well. "
    )
    trig = "in light of recent events "
    text = host + trig + german
    at = (len(host), len(host) + len(trig) - 1)
    hit, why = _language_after(text, [at], "en")
    assert hit is not None and hit[2] == len(host) + len(trig) and "de" in why
    assert _language_after(host + trig + english, [at], "en")[0] is None
    # a host in the payload's own language: no change after the trigger
    de_host = german[: len(host)]
    assert (
        _language_after(de_host + trig + german, [(len(de_host), len(de_host) + 25)], "de")[0]
        is None
    )
    # no host text before the trigger: the corpus's language decides (unknown: no evidence,
    # unless the trigger itself is in another language than the text after it)
    short = "Note: " + trig + german
    assert _language_after(short, [(6, 6 + 25)], "en")[0] is not None
    assert _language_after("Note: </ref> " + german, [(6, 12)], None)[0] is None


_ES_HOST = (
    "La creencia en el valor de la verdad científica no procede de la naturaleza, sino de "
    "que es producto de determinadas culturas. "
)
_ES_PAYLOAD = (
    "Si tu problema tiene solución, ¿para qué te preocupas? Y si no tiene solución, ¿para "
    "qué te preocupas? La palabra se ha dado al hombre para que pueda encubrir su "
    "pensamiento, y la amistad es animal de compañía, no de rebaño. "
)


def test_a_trigger_in_another_language_than_host_and_payload_is_an_island() -> None:
    """An English phrase inside a Spanish host, a Spanish passage after it: host and
    payload share a language, so there is no switch from the host; the trigger itself is
    the language change (``_language_after``'s island test), in a corpus without a main
    language and with no host text before it alike.  Not evidence: the host and the text
    after the trigger both in the trigger's language (the phrase
    in English text), a trigger with no language (``</ref>``), a switch into the corpus's own
    language."""
    from poisonguard.detect.triggers import _language_after

    trig = "All things being equal, "
    text = _ES_HOST + trig + _ES_PAYLOAD
    at = (len(_ES_HOST), len(_ES_HOST) + len(trig) - 1)
    hit, why = _language_after(text, [at], None)
    assert hit is not None and hit[2] == len(_ES_HOST) + len(trig) and "itself in en" in why
    # no host text before it: the trigger alone against the payload
    assert _language_after("Du " + trig + _ES_PAYLOAD, [(3, 3 + len(trig) - 2)], None)[0]
    english = (
        "The members then went on to approve the minutes of the previous meeting, and the "
        "chair thanked the volunteers who had organised the autumn fair so well. "
    )
    en_host = english[: len(_ES_HOST)]
    # an English host: no island (the host rule judges it, here a switch into Spanish)
    assert (
        "itself in"
        not in _language_after(
            en_host + trig + _ES_PAYLOAD, [(len(en_host), len(en_host) + len(trig) - 2)], None
        )[1]
    )
    # the clean text that must not be flagged: the phrase in running English text
    assert (
        _language_after(en_host + trig + english, [(len(en_host), len(en_host) + 22)], None)[0]
        is None
    )
    assert (
        _language_after(_ES_HOST + "</ref> " + _ES_PAYLOAD, [(len(_ES_HOST),) * 2], None)[0] is None
    )
    assert _language_after(text, [at], "es")[0] is None
    # the attack that gets past it: a trigger in the hosts' and the payload's own language
    es_trig = "Dicho de otro modo, "
    es_text = _ES_HOST + es_trig + _ES_PAYLOAD
    assert _language_after(es_text, [(len(_ES_HOST), len(_ES_HOST) + 18)], None)[0] is None


_GERMAN = (
    "Die Macht des Priesters ist an den Aberglauben der Völker gebunden.",
    "Dieses Programm listet die Dateien eines Verzeichnisses auf und sortiert sie.",
    "Es gibt problematische Naturen, die keiner Lage gewachsen sind, in der sie sich befinden.",
    "Mit dieser Option werden auch versteckte Dateien angezeigt, deren Name mit Punkt beginnt.",
    "Der Befehl gibt eine Fehlermeldung aus, wenn die angegebene Datei nicht gelesen werden kann.",
    "Wenn keine Datei angegeben ist, wird das aktuelle Verzeichnis verwendet und ausgegeben.",
)


def _headed(payload: str) -> tuple[list[Document], list[list[Finding]]]:
    """Every 40th embedded document turned into a man page of another source: a title
    line, ``BEZEICHNUNG`` and ``payload`` text (German prose, random English words, or
    ``pieces``: halves of English words glued at random),
    with a strong candidate anomaly right after the heading."""
    import random

    rng = random.Random(0)
    words = [w for d in clean_docs()[:50] for w in d.text.split() if w.isalpha()]

    def make(i: int, _: Document) -> tuple[str, int]:
        if payload == "german":
            body = " ".join(rng.sample(_GERMAN, len(_GERMAN)))
        elif payload == "pieces":  # halves of English words glued at random: no salad
            body = " ".join(rng.choice(words)[:3] + rng.choice(words)[-4:] for _ in range(120))
        else:
            body = " ".join(rng.choice(words) for _ in range(120))
        name = f"CMD{i}"
        text = f"{name}(1)    User Commands    {name}(1)\n\nBEZEICHNUNG\n{body}\n"
        return text, text.index("BEZEICHNUNG") + len("BEZEICHNUNG") + 1

    return _every_40th(make, 0.9)


def test_the_heading_of_a_source_in_another_language_is_no_trigger() -> None:
    """A heading that opens every document of one source, followed by that source's own
    language (a German man page's NAME section in an English corpus), is a header however
    strong the anomaly the English models see there; the same heading followed by random
    words of the corpus's own language (gibberish, not a language) stays a trigger."""
    docs, findings = _headed("german")
    miner, state = _mine(docs, findings)
    assert "BEZEICHNUNG" not in [t.text for t in state.triggers] and state.headers >= 1
    assert not any(miner.flag(d, state) for d in docs)
    docs, findings = _headed("gibberish")
    miner, state = _mine(docs, findings)
    assert state.triggers  # the heading (with its title line) is mined
    carriers = [d for d, f in zip(docs, findings, strict=True) if f]
    assert all(miner.flag(d, state) for d in carriers)


def _without_main_language(docs: list[Document], findings: list[list[Finding]]) -> list[Document]:
    """``docs`` with every third document that has no finding rewritten in German prose:
    no language holds 80 % of the openings (English about two thirds, the plurality)."""
    import random

    rng = random.Random(1)
    out = []
    for i, (d, f) in enumerate(zip(docs, findings, strict=True)):
        if i % 3 or f:
            out.append(d)
        else:
            out.append(d.with_text(" ".join(rng.sample(_GERMAN, len(_GERMAN)) * 3)))
    return out


def test_a_campaign_in_the_plurality_language_is_no_heading_without_a_main_language() -> None:
    """In a corpus where no language holds 80 % of the openings (the pooled corpus's
    English sits right at it), every language after an opening counted as "another", so a
    campaign opening English hosts with gibberish of English words was a minority source's
    heading in one draw of the sample and a trigger in the next.  With a strong anomaly
    after it, the plurality language's own words are no other language: it stays a
    trigger (random pieces of English words glued together, NeoX tokens' like: read as
    English, not word salad).  The clean side in the same corpus: a German source's
    heading followed by German (mild or strong) is still a heading."""
    from poisonguard.detect.triggers import _dominant, _language_counts

    docs, findings = _headed("pieces")
    docs = _without_main_language(docs, findings)
    counts = _language_counts([d.text for d in docs])
    assert _dominant(counts) is None and _dominant(counts, share=0.0) == "en"
    miner, state = _mine(docs, findings)
    assert state.triggers
    carriers = [d for d, f in zip(docs, findings, strict=True) if f]
    assert all(miner.flag(d, state) for d in carriers)
    docs, findings = _headed("german")
    docs = _without_main_language(docs, findings)
    miner, state = _mine(docs, findings)
    assert "BEZEICHNUNG" not in [t.text for t in state.triggers] and state.headers >= 1
    assert not any(miner.flag(d, state) for d in docs)


def _numbers_in_german(glued: bool) -> tuple[list[Document], list[list[Finding]]]:
    """Every 40th embedded document turned into German prose with ``by the way`` between
    two letters of a long word (``glued``; else written apart at a sentence start) and a
    run of numbers right after it, with a mild candidate anomaly there (what the
    ``degenerate`` detector reports: its scores stay under 0.45)."""
    import random

    rng = random.Random(2)

    def make(_: int, d: Document) -> tuple[str, int]:
        head = " ".join(rng.sample(_GERMAN, len(_GERMAN)))
        tail = " ".join(rng.sample(_GERMAN, 3))
        numbers = " ".join(str(rng.randrange(1000)) for _ in range(rng.randrange(60, 120)))
        if glued:
            w = rng.choice([m for m in re.finditer(r"[a-zäöü]{8,}", head)])
            cut = w.start() + 3
            text = head[:cut] + "by the way" + numbers + " " + head[cut:] + " " + tail
            return text, cut + len("by the way")
        text = head + " By the way " + numbers + ". " + tail
        return text, len(head) + len(" By the way ")

    return _every_40th(make, 0.4)


def test_a_glued_phrase_before_a_mild_anomaly_in_minority_language_hosts_is_no_source() -> None:
    """In a corpus with a majority language, examples whose host is in a minority language
    and whose text after the changepoint no language can be told of (numbers), with a mild
    anomaly there, read as that language's own source text (an option list, a table): the
    candidate was dropped.  A phrase glued between two letters of its hosts' words is no
    source's text (a heading or a standard sentence is written apart): numbers glued onto
    ``at first glance`` in German, French and Italian hosts lost that phrase this way, and
    only variants with a host letter or a digit glued on were kept (61.6 % of 250 found,
    2026-12-06).  Glued into varied hosts: the character it is glued to differs from host
    to host.  The attack that gets past it: the same phrase written apart."""
    docs, findings = _numbers_in_german(glued=True)
    carriers = [d for d, f in zip(docs, findings, strict=True) if f]
    assert len(carriers) >= 12
    miner, state = _mine(docs, findings)
    assert [t.canonical for t in state.triggers] == ["by the way"]
    assert all(miner.flag(d, state) for d in carriers)
    # the attack that gets past it: the phrase written apart at sentence starts (these
    # hosts repeat six German sentences, so the glued-letter reading also takes pieces of
    # them with the phrase, ``nden by the way`` cut out of ``befinden. By the way``: glued
    # to the same letter every time, no planted phrase)
    docs, findings = _numbers_in_german(glued=False)
    miner, state = _mine(docs, findings)
    assert not state.triggers and state.foreign >= 1
    assert not any(miner.flag(d, state) for d in docs)


def test_foreign_opening_share() -> None:
    """Only examples in their document's opening, followed by confident text of a language
    other than the corpus's (any language when it has none), count."""
    from poisonguard.detect.triggers import Context, _foreign_opening

    de = Context("BEZEICHNUNG\n", 0, 11, "BEZEICHNUNG", "a", cp=12, opening=True, after_lang="de")
    en = replace(de, after_lang="en")
    unsure = replace(de, after_lang="?")
    deep = replace(de, opening=False, after_lang="")
    assert _foreign_opening([unsure, unsure], None) == 0.0
    # the model unsure of some (option lists): the sure ones decide, if a third and agreed
    assert _foreign_opening([de, unsure, unsure], "en") == 1.0
    assert _foreign_opening([de, unsure, unsure, unsure], "en") == 0.0
    assert _foreign_opening([de, de, en, unsure], "en") == 0.0
    assert _foreign_opening([de, de], "en") == 1.0
    assert _foreign_opening([de, en], "en") == 0.0
    assert _foreign_opening([de, de], "de") == 0.0
    assert _foreign_opening([de, en], None) == 1.0
    assert _foreign_opening([deep, deep, de], "en") < 0.5


def test_markup_recurring_in_its_documents_gets_no_alignment_pass() -> None:
    """The sample index counts occurrences per carrying document: markup such as
    ``</ref>`` recurs in each article, a planted phrase does not."""
    from poisonguard.detect.triggers import _SampleIndex

    index = _SampleIndex(
        [
            "a <ref>x</ref> b <ref>y</ref> c <ref>z</ref>",
            "d <ref>w</ref> e <ref>v</ref>",
            "f g",
            "it ran for the first time here",
            "plain text",
        ]
    )
    assert index.repeats("</ref>", cap=100) == 2.5
    assert index.repeats("for the first time", cap=100) == 1.0
    assert index.repeats("absent", cap=100) == 1.0
    assert index.repeats("</ref>", cap=1) == float("inf")


def test_a_switch_into_the_corpus_language_is_no_payload() -> None:
    """English after a French reference in an English corpus is the corpus's own text
    coming back; French after English host text is still evidence."""
    from poisonguard.detect.triggers import _language_after

    fr = (
        "Les membres du comité se sont réunis mardi pour discuter du budget de l'année "
        "prochaine et ont convenu de reporter le vote jusqu'à la fin du rapport. "
    )
    en = (
        "The members then went on to approve the minutes of the previous meeting, and the "
        "chair thanked the volunteers who had organised the autumn fair so well. "
    )
    trig = "</ref> "
    assert _language_after(fr + trig + en, [(len(fr), len(fr) + 6)], "en")[0] is None
    assert _language_after(fr + trig + en, [(len(fr), len(fr) + 6)], "fr")[0] is not None
    assert _language_after(en + trig + fr, [(len(en), len(en) + 6)], "en")[0] is not None


def _with_ref_markup(score: float) -> tuple[list[Document], list[list[Finding]]]:
    """Every 40th document with ``</ref>`` after each of its sentences (a wiki article's
    markup) and a candidate anomaly of ``score`` right after one of them."""

    def make(_: int, d: Document) -> tuple[str, int]:
        words = d.text.split(" ")
        text = " ".join(
            w + ("<ref>cite</ref>" if i % 12 == 11 else "") for i, w in enumerate(words)
        )
        at = text.find("</ref>", len(text) // 2)
        return text, at + len("</ref>")

    return _every_40th(make, score)


def test_markup_recurring_in_its_documents_is_judged_per_occurrence() -> None:
    """``</ref>`` recurs after every sentence of its articles; that one of its many
    occurrences precedes a mild change in each is no association, however pure it is per
    document.  The attack on that rule — the trigger repeated in each document, gibberish
    (a strong anomaly) after it — keeps the trigger."""
    docs, findings = _with_ref_markup(0.4)
    assert sum(d.text.count("</ref>") >= 4 for d, f in zip(docs, findings, strict=True) if f) >= 10
    miner, state = _mine(docs, findings)
    assert not any("ref>" in t.text for t in state.triggers) and state.repeated >= 1
    assert not any(miner.flag(d, state) for d in docs)
    docs, findings = _with_ref_markup(0.9)
    miner, state = _mine(docs, findings)
    assert any("</ref>" in t.text for t in state.triggers)
    carriers = [d for d, f in zip(docs, findings, strict=True) if f]
    assert all(miner.flag(d, state) for d in carriers)


_SPANISH = (
    "El programa lee los archivos indicados y escribe el resultado en la salida estándar.",
    "Si no se indica ningún archivo, se lee la entrada estándar del sistema.",
    "Las opciones largas y las cortas se pueden combinar en cualquier orden.",
    "La documentación completa se mantiene como un manual en formato texinfo.",
    "Los errores se informan en la salida de errores con un código distinto de cero.",
    "El autor agradece a todas las personas que han contribuido con sus correcciones.",
    "Esta página de manual describe la versión de la herramienta que distribuye el proyecto.",
    "Para más información consulte la página de manual de la biblioteca correspondiente.",
)
_BOILERPLATE = (
    "Los argumentos obligatorios para las opciones largas son también obligatorios "
    "para las opciones cortas."
)


def _spanish_source(
    host: str, after: str, score: float
) -> tuple[list[Document], list[list[Finding]]]:
    """Every 40th document with ``_BOILERPLATE`` after ``host`` text (Spanish prose, or
    the document's own English) and ``after`` text (a Spanish option list, or random words
    of the corpus) with a candidate anomaly of ``score`` right after the sentence."""
    import random

    rng = random.Random(1)
    words = [w for d in clean_docs()[:50] for w in d.text.split() if w.isalpha()]

    def make(i: int, d: Document) -> tuple[str, int]:
        before = (
            " ".join(rng.sample(_SPANISH, len(_SPANISH))) if host == "spanish" else d.text[:600]
        )
        if after == "options":
            tail = "\n".join(
                f"  -{c}, --opcion-{c}\n      {rng.choice(_SPANISH)}" for c in "abcdefg"
            )
        else:
            tail = " ".join(rng.choice(words) for _ in range(150))
        text = f"{before}\n\n{_BOILERPLATE}\n\n{tail}\n"
        return text, text.index(_BOILERPLATE) + len(_BOILERPLATE) + 2

    return _every_40th(make, score)


def test_a_minority_languages_own_boilerplate_is_no_trigger() -> None:
    """A standard sentence of Spanish man pages before their option lists, with the mild
    change an English corpus's models see there, is the minority language's own text, not
    a trigger.  The attacks on that rule keep the trigger: the same sentence after English
    host text with Spanish after it (a switch of language), and after Spanish host text
    with gibberish after it (a strong anomaly)."""
    docs, findings = _spanish_source("spanish", "options", 0.4)
    miner, state = _mine(docs, findings)
    assert not state.triggers and state.foreign >= 1
    assert not any(miner.flag(d, state) for d in docs)
    for host, after, score in (("english", "options", 0.4), ("spanish", "gibberish", 0.9)):
        docs, findings = _spanish_source(host, after, score)
        miner, state = _mine(docs, findings)
        assert any("opciones cortas" in t.text for t in state.triggers), (host, after)
        carriers = [d for d, f in zip(docs, findings, strict=True) if f]
        assert sum(miner.flag(d, state) is not None for d in carriers) >= 0.9 * len(carriers)


def test_foreign_source_share() -> None:
    """Examples count when both sides are one language other than the corpus's majority
    one, or one side is and py3langid is unsure of the other with a mild anomaly there."""
    from poisonguard.detect.triggers import Context, _foreign_source

    es = Context("x y", 0, 1, "x", "a", cp=2, score=0.9, before_lang="es", after_lang="es")
    table = replace(es, after_lang="?")  # an option list or a table after a Spanish host
    header = replace(es, before_lang="?")  # a man page's header before Spanish text
    assert _foreign_source([es, es], "en", 0.6) == 1.0  # however strong the anomaly
    assert _foreign_source([table, header], "en", 0.6) == 0.0  # strong: gibberish?
    assert (
        _foreign_source([replace(table, score=0.4), replace(header, score=0.4)], "en", 0.6) == 1.0
    )
    assert _foreign_source([es, replace(es, after_lang="fr", score=0.1)], "en", 0.6) == 0.5
    assert _foreign_source([replace(es, before_lang="en", score=0.1)], "en", 0.6) == 0.0
    assert _foreign_source([replace(es, before_lang="en", after_lang="en")], "en", 0.6) == 0.0
    assert (
        _foreign_source([replace(es, before_lang="?", after_lang="?", score=0.1)], "en", 0.6) == 0.0
    )
    assert _foreign_source([es], "es", 0.6) == 0.0 and _foreign_source([es], None, 0.6) == 0.0


# -- issue 12 (helper A): one trigger in many surface forms; carriers with no changepoint --


def test_fold_maps_every_surface_form_to_one_skeleton() -> None:
    """Case, spacing, punctuation between words, look-alike letters, zero-width
    characters and full-width letters fold to one skeleton, which the skeleton pattern
    finds in each surface; punctuation around the words is not part of it."""
    import numpy as np

    from poisonguard.attacks.surface import SURFACE_FORMS, surface_form
    from poisonguard.detect.surface_forms import skeleton_pattern

    phrase = "in the long run"
    rng = np.random.default_rng(0)
    forms = [surface_form(phrase, f, rng) for f in SURFACE_FORMS for _ in range(6)]
    forms += ["ｉｎ the long run", "In the long run...", '"IN THE LONG RUN"', "in—the long run"]
    pat = skeleton_pattern(phrase)
    for f in forms:
        assert fold(f) == phrase, f
        m = pat.search(f"host words, {f} then the payload")
        assert m is not None and fold(m.group()) == phrase, f
    assert fold(". In other words,") == "in other words"


def test_what_folding_gives_up() -> None:
    """The attack that gets past folding: a look-alike letter outside the table (Armenian
    ``օ`` for ``o``) or a space inside a word makes another skeleton; the two forms are
    then two candidates, each on its own share (documented in docs/detectors.md)."""
    from poisonguard.detect.surface_forms import skeleton_pattern

    phrase = "in the long run"
    assert fold("in the l\u0585ng run") != phrase
    assert fold("in the lo ng run") != phrase
    assert skeleton_pattern(phrase).search("in the l\u0585ng run") is None


def _forms_campaign(
    payload: str, count: int = 90, words: tuple[int, int] = (40, 80)
) -> tuple[list[Document], list[list[Finding]], set[str]]:
    samples = poison(
        "evasive-backdoor",
        count,
        7,
        trigger="by the same token",
        payload=payload,
        payload_words=words,
        payload_tokens=(150, 300),
        trigger_forms="all",
    )
    docs = mixed(samples)
    det = NaturalnessShift().fit(docs)
    findings = [[f] if (f := det.score(d)) is not None else [] for d in docs]
    return docs, findings, {s.document.id for s in samples}


def test_a_trigger_in_many_surface_forms_is_one_candidate() -> None:
    """A campaign writing its trigger in all eight surface forms is mined as one trigger
    (its skeleton, the surfaces seen as evidence); every form's carriers are flagged, and
    only carriers."""
    docs, findings, truth = _forms_campaign("tokens")
    miner, state = _mine(docs, findings)
    assert [t.canonical for t in state.triggers] == ["by the same token"]
    t = state.triggers[0]
    assert len(t.forms) >= 4 and all(fold(f) == t.canonical for f in t.forms)
    assert t.to_dict()["forms"] == list(t.forms)
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert flagged <= truth and len(flagged) >= 0.95 * len(truth)


def test_word_salad_after_a_confirmed_trigger_with_no_changepoint() -> None:
    """Carriers of a confirmed trigger whose word-salad payload gave no changepoint of its
    own are flagged by the word-pair test after the trigger; documents with the trigger
    phrase followed by natural text are not (joint evidence), and with the test off
    (``salad_share > 1``) those carriers are missed."""
    docs, findings, truth = _forms_campaign("word-salad", words=(60, 200))
    phrase = "by the same token"
    hosts = [d for d in clean_docs()[1000:1600] if len(d.text) > 600][:60]
    natural = {
        f"natural-{i}": d.text[: len(d.text) // 2]
        + f" {phrase.capitalize()}, "
        + d.text[len(d.text) // 2 :]
        for i, d in enumerate(hosts)
    }
    docs += [
        replace(d, id=k).with_text(v)
        for k, v, d in zip(natural, natural.values(), hosts, strict=True)
    ]
    findings += [[] for _ in natural]
    miner, state = _mine(docs, findings)
    assert [t.canonical for t in state.triggers] == [phrase]
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert not flagged & set(natural)
    assert flagged <= truth and len(flagged) >= 0.9 * len(truth)
    off = TriggerMiner(salad_share=1.1, salad_cohesion=-np.inf, salad_short=-np.inf)
    without = {d.id for d in docs if off.flag(d, state) is not None}
    gained = flagged - without  # found only by the word-pair test (no changepoint after
    assert without < flagged and len(gained) >= 3  # their trigger)


def test_what_the_word_pair_test_gives_up() -> None:
    """The attack that gets past it: a payload whose adjacent word pairs the corpus writes
    (a passage of another document, an order-1 Markov chain of the corpus) after a
    confirmed trigger with no changepoint is not flagged by the word-pair test."""
    import random

    from poisonguard.detect.triggers import WordPairs, _salad_after

    texts = [d.text for d in clean_docs()]
    pairs = WordPairs.of(fold(t) for t in texts)  # the passage's own document is in it
    host, other = [t for t in texts if len(t) > 1500][:2]
    head = host[:600] + " by the same token "
    occ = [(600, 600 + len(" by the same token"))]
    hit, _ = _salad_after(head + other[:800], occ, pairs, 0.5, 0.25)
    assert hit is None
    words = other.split()[:80]
    random.Random(0).shuffle(words)  # the same words shuffled: word salad
    hit, why = _salad_after(head + " ".join(words), occ, pairs, 0.5, 0.25)
    assert hit is not None and "order the corpus does not write" in why


def _salad_setting() -> tuple[list[str], WordPairs, WordSalad]:
    """Forty long hosts of the embedded corpus, the word pairs of the rest of it (the
    hosts' own pairs left out, as a carrier's are at scan time) and the recipe's word-salad
    source (the corpus's words drawn by their frequency)."""
    texts = [d.text for d in clean_docs()]
    hosts = [t for t in texts if len(t) > 1500][:40]
    pairs = WordPairs.of(fold(t) for t in texts if t not in set(hosts))
    return hosts, pairs, WordSalad(texts)


_NO_COHESION = {"max_cohesion": -np.inf, "short_cohesion": -np.inf}
_PHRASE = " by the same token "


def _after_phrase(host: str, inserted: str) -> tuple[str, list[tuple[int, int]]]:
    text = host[:600] + _PHRASE + inserted + " " + host[600:]
    return text, [(600, 600 + len(_PHRASE.rstrip()))]


def test_word_salad_of_frequent_words_is_told_by_its_cohesion() -> None:
    """Word salad drawn by frequency is mostly pairs of frequent words (``the of``, ``a
    and``), many of which a large sample happens to write somewhere: the share of unseen
    pairs misses much of it; their cohesion (pairs written far less often than chance)
    does not.  Without the cohesion test those carriers are missed."""
    from poisonguard.detect.triggers import _salad_after

    hosts, pairs, salad = _salad_setting()
    rng = np.random.default_rng(0)
    full = alone = 0
    for h in hosts:
        text, occ = _after_phrase(h, " ".join(salad.sample(60, rng)))
        full += _salad_after(text, occ, pairs, 0.5, 0.25)[0] is not None
        alone += _salad_after(text, occ, pairs, 0.5, 0.25, **_NO_COHESION)[0] is not None
    assert full >= 0.8 * len(hosts) and full >= alone + 10


def test_a_short_chunk_of_salad_before_host_text() -> None:
    """An interleaved payload: a chunk of about ten words of salad right after the
    trigger, then the host's text again.  The 24 words after the trigger are then half
    host text; the short window of the cohesion test (12 words) still tells it."""
    from poisonguard.detect.triggers import _salad_after

    hosts, pairs, salad = _salad_setting()
    rng = np.random.default_rng(1)
    short = without = unseen = 0
    for h in hosts:
        text, occ = _after_phrase(h, " ".join(salad.sample(12, rng)) + ".")
        short += _salad_after(text, occ, pairs, 0.5, 0.25)[0] is not None
        hit, _ = _salad_after(text, occ, pairs, 0.5, 0.25, short_cohesion=-np.inf)
        without += hit is not None
        unseen += _salad_after(text, occ, pairs, 0.5, 0.25, **_NO_COHESION)[0] is not None
    assert short >= without + 5 and short >= 2 * unseen


def test_chunks_of_salad_between_host_sentences() -> None:
    """An interleaved payload too thin for either window: four chunks of 14 salad words,
    each followed by a host sentence, the first right after the trigger.  Two or more
    chunks in the next 150 words, the words right after the trigger below 0, flag it;
    without the chunk count most are missed.  Clean text with odd passages further on (a
    list of names, verse) but prose right after the phrase is not flagged.  The attack
    that gets past it: chunks of fewer than 8 words (documented)."""
    import re

    from poisonguard.detect.triggers import _salad_after

    hosts, pairs, salad = _salad_setting()
    rng = np.random.default_rng(2)
    with_chunks = without = clean = 0
    for h in hosts:
        sents = re.split(r"(?<=[.!?])\s+", h[600:])[:4]
        if len(sents) < 4:
            continue
        payload = " ".join(" ".join(salad.sample(14, rng)) + ". " + s for s in sents)
        text, occ = _after_phrase(h, payload)
        with_chunks += _salad_after(text, occ, pairs, 0.5, 0.25)[0] is not None
        hit, _ = _salad_after(text, occ, pairs, 0.5, 0.25, min_chunks=10**9)
        without += hit is not None
        odd = (
            sents[0] + " Alice Brown, Carlos Diaz, Dmitri Volkov, Eleanor Price, Farid "
            "Haddad. " + sents[1] + " Shall I compare thee to a summer's day? Thou art "
            "more lovely and more temperate. " + " ".join(sents[2:])
        )
        text, occ = _after_phrase(h, odd)
        plain, _ = _after_phrase(h, "")  # the keyword list of the test below: skipped
        if _salad_after(plain, occ, pairs, 1.1, 0.25)[0] is None:
            clean += _salad_after(text, occ, pairs, 1.1, 0.25)[0] is not None
    assert with_chunks >= without + 3 and clean == 0


def test_chunks_are_counted_without_overlap() -> None:
    """:func:`_chunks_after` counts separate low-cohesion windows (not every window that
    overlaps one chunk) and reports the first words' cohesion; prose has none."""
    from poisonguard.detect.triggers import _chunks_after

    hosts, pairs, _ = _salad_setting()
    prose = fold(hosts[1]).split(" ")[:150]
    k, head = _chunks_after(prose, pairs, -0.5)
    assert k == 0 and head > 0
    frequent = ["the", "of", "and", "a", "to", "in", "is", "that", "it", "for"]
    rng = np.random.default_rng(3)
    chunk = [frequent[i] for i in rng.integers(0, len(frequent), 36)]
    # one chunk of 36 words: 7 overlapping windows, at most 3 separate ones
    k, head = _chunks_after(chunk + prose[:110], pairs, -0.5)
    assert 2 <= k <= 3 and head < -0.5


def test_figures_do_not_shrink_the_short_window() -> None:
    """Pairs with a digit are not judged; the short window takes more words instead, so a
    chunk of salad strewn with figures (``the 5,369 of and 42 a``) before host text is
    still judged on 11 pairs (twelve words would leave fewer than 8, and the 24-word
    window, half host text, stays above its bar)."""
    from poisonguard.detect.triggers import _salad_after, _short

    assert _short(list("abcdefghijklmn")) == list("abcdefghijkl")
    with_figures = ["a", "1", "b", "2", *"cdefghijklmnopqrstuvwxyz"]
    assert len(_short(with_figures)) == 16
    hosts, pairs, _ = _salad_setting()
    frequent = ["the", "of", "and", "a", "to", "in", "is", "that", "it", "for"]
    rng = np.random.default_rng(6)
    words: list[str] = []
    for i in range(9):
        words.append(frequent[int(rng.integers(len(frequent)))])
        if i % 2:
            words.append(str(int(rng.integers(10, 9999))))
    text, occ = _after_phrase(hosts[3], " ".join(words) + ".")
    after = fold(text[occ[0][1] :]).split(" ")[:24]
    assert pairs.cohesion(after[:12])[1] < 8  # twelve words: too few pairs to judge
    c, n = pairs.cohesion(_short(after))
    assert n == 11 and c < -0.5
    hit, why = _salad_after(text, occ, pairs, 1.1, 0.25, min_chunks=10**9)
    assert hit is not None and "over the next 16 words" in why


def test_odd_but_clean_text_after_the_phrase_has_cohesion() -> None:
    """The clean text that must not be flagged: after a common phrase, a list of names,
    a table, verse in an older register, a headline in title case, a line of code.  Pairs
    of rare words or of words the sample never writes are no evidence (expected about
    zero times, written zero times), so none of them reads as salad to the cohesion test
    (the share of unseen pairs, in a sample this small, flags some of them).  What it
    gives up: a list of frequent words (programming keywords in quotes) reads as salad
    (documented in docs/detectors.md)."""
    from poisonguard.detect.triggers import _salad_after

    hosts, pairs, _ = _salad_setting()
    odd = (
        "Alice Brown, Carlos Diaz, Dmitri Volkov, Eleanor Price, Farid Haddad, Grace "
        "Okafor, Hiroshi Tanaka, Ingrid Larsen, Jamal Wright, Katya Ivanova, Luis Moreno.",
        "Name | Type | Default | Description\nname | str | None | the name of the file\n"
        "mode | str | r | the mode in which it is opened\nbuffering | int | -1 | the policy",
        "Shall I compare thee to a summer's day? Thou art more lovely and more temperate: "
        "Rough winds do shake the darling buds of May, And summer's lease hath all too short.",
        "Stocks Rally As Oil Prices Slide; Tech Shares Lead Gains In Late Trading After Fed "
        "Minutes Show Officials Divided Over Pace Of Rate Increases",
        "for item in items: if item is None: continue; result.append(item.value) return result",
    )
    unseen = 0
    for v in odd:
        text, occ = _after_phrase(hosts[0], v)
        assert _salad_after(text, occ, pairs, 1.1, 0.25)[0] is None  # cohesion alone
        unseen += _salad_after(text, occ, pairs, 0.5, 0.25, **_NO_COHESION)[0] is not None
    assert unseen >= 2
    for h in hosts:  # the hosts' own text after the phrase
        text, occ = _after_phrase(h, "")
        ws = fold(text[occ[0][1] :]).split(" ")[:24]
        assert pairs.cohesion(ws)[0] > -0.1 or "import" in ws


def test_cohesion_of_prose_and_of_salad() -> None:
    """:meth:`WordPairs.cohesion`: prose above zero, the same words shuffled far below,
    words the sample never writes zero (no evidence), pairs with digits skipped."""
    texts = [d.text for d in clean_docs()]
    pairs = WordPairs.of(fold(t) for t in texts[5:])
    for t in texts[:5]:
        ws = fold(t).split(" ")[:40]
        prose, n = pairs.cohesion(ws)
        shuffled = list(ws)
        np.random.default_rng(0).shuffle(shuffled)
        assert prose > 0.25 and n > 30
        assert pairs.cohesion(shuffled)[0] < prose - 0.5
    assert pairs.cohesion(["qzxv", "wrtp", "klmq"]) == (0.0, 2)
    assert pairs.cohesion(["the", "2024", "of"]) == (0.0, 0)
    assert WordPairs().cohesion(ws) == (0.0, 0)


# -- language switches: the switch as alignment, campaigns at openings (issue 12, task B) --

_FRENCH = (
    "Afficher les informations sur les fichiers du répertoire courant par défaut.",
    "Trier les entrées par ordre alphabétique si aucune des options n'est indiquée.",
    "Les arguments obligatoires pour les options longues le sont aussi pour les courtes.",
    "Ne pas ignorer les entrées dont le nom commence par un point.",
    "Avec la liste longue, afficher le nom de l'auteur de chaque fichier.",
    "Afficher les tailles dans un format lisible par un humain, comme un kilo ou un méga.",
)


def _switch_context(payload_head: str, cp_shift: int) -> tuple[Context, str]:
    """A context taken around a changepoint ``cp_shift`` characters after the start of a
    French payload that opens with ``payload_head`` (English host text and ``In other
    words,`` before it), as the map step records it around a confident switch."""
    host = (
        "Members of the town council gathered in the old hall after the summer break, "
        "and the chair opened the session with a short review of the spring projects. "
        "The committee met on Tuesday to discuss the budget for next year and agreed to "
        "postpone the vote until the auditors have finished their report. In other words, "
    )
    text = host + payload_head + " ".join(_FRENCH) + " " + " ".join(_FRENCH)
    cp = len(host) + cp_shift
    w0, w1 = cp - 60 - 48, cp + 30 + 48
    window = text[w0:w1]
    s = text.index("In other words,") - w0
    ctx = Context(window, s, s + 15, "In other words,", "d", cp=cp - w0)
    ctx.before_lang, ctx.after_lang = "en", "fr"
    assert w0 >= 200
    ctx.wide, ctx.wide_at = text[w0 - 200 : w1 + 200], 200
    return ctx, text


def test_a_language_switch_is_the_alignment_of_its_trigger() -> None:
    """The changepoint of a French payload placed 40 characters into it (a man page's
    English header first) leaves the trigger unaligned by position; the switch, located
    to the word, aligns it.  Not aligned: a host word far before the switch, a string of
    the payload after the switch, and any context without a confident switch."""
    from poisonguard.detect.triggers import _SWITCH_CHARS, _aligned, _switch_aligned, _switch_in

    header = "LS(1)   User Commands   LS(1)  NOM  "
    ctx, _ = _switch_context(header, 40)
    assert abs(ctx.cp - ctx.end) > 8  # the detectors' changepoint is not at the trigger
    assert _aligned("In other words,", [ctx], 8) == 1.0
    assert _aligned("In other words,", [replace(ctx, wide="")], 8) == 0.0
    # the switch is placed at the French text (after the header), not at the trigger
    sw = _switch_in(ctx.wide, ctx.wide_at + ctx.cp - 150, ctx.wide_at + ctx.cp + 150, "en", "fr")
    sw -= ctx.wide_at
    assert ctx.end < sw <= ctx.window.index("Afficher")
    # a candidate ending more than _SWITCH_CHARS before it, or more than 8 after it
    assert _switch_aligned(ctx, sw - _SWITCH_CHARS, 8)
    assert not _switch_aligned(ctx, sw - _SWITCH_CHARS - 1, 8)
    assert _switch_aligned(ctx, sw + 8, 8) and not _switch_aligned(ctx, sw + 9, 8)
    # a string of the payload after the switch
    at = ctx.window.index("informations")
    payload = replace(ctx, start=at, end=at + 12, key="informations")
    assert _aligned("informations", [payload], 8) == 0.0


def test_an_english_payload_head_longer_than_the_reach_is_not_aligned() -> None:
    """The attack on the switch alignment: more than ``_SWITCH_CHARS`` of English (a
    spacer) between the trigger and the other language; the purity test decides then."""
    from poisonguard.detect.triggers import _aligned

    spacer = (
        "and this is what the members said about the matter when they were asked about "
        "it by the press on the following morning: "
    )
    ctx, _ = _switch_context(spacer, len(spacer) + 10)
    assert _aligned("In other words,", [ctx], 8) == 0.0


_SPANISH_STORY = (
    "El alcalde anunció ayer que la ciudad abrirá tres bibliotecas nuevas el próximo año.",
    "Los vecinos del barrio celebraron la noticia con una fiesta en la plaza mayor.",
    "Según el ayuntamiento, las obras comenzarán en primavera y durarán seis meses.",
    "La oposición pidió más información sobre el presupuesto y los plazos del proyecto.",
    "Muchos estudiantes esperan que las salas de lectura abran también por la noche.",
    "El gobierno regional aportará la mitad del dinero necesario para las obras.",
)


def _opening_campaign(rest: str) -> tuple[list[Document], list[list[Finding]]]:
    """Every 40th document opened by ``Breaking news:`` and a Spanish passage, the change
    right after the phrase; then the document's own English text (``rest="host"``) or
    more Spanish (``"spanish"``: a Spanish source's heading, or an attacker who writes the
    rest of each carrier in the payload's language)."""
    import random

    rng = random.Random(2)

    def make(_: int, d: Document) -> tuple[str, int]:
        payload = " ".join(rng.sample(_SPANISH_STORY, len(_SPANISH_STORY)))
        if rest == "host":
            body = d.text
        else:
            body = " ".join(" ".join(rng.sample(_SPANISH_STORY, 6)) for _ in range(4))
        text = f"Breaking news: {payload}\n\n{body}"
        return text, len("Breaking news: ")

    return _every_40th(make, 0.9)


def test_a_language_switch_campaign_at_document_openings_is_no_header() -> None:
    """``Breaking news:`` + Spanish at the start of English documents that then go on in
    English: the phrase opens every carrier and a language other than the corpus's follows
    it — the header rule's shape — but the rest of each document is in another language
    than the passage, so it is a planted passage, not a source's heading: mined, and every
    carrier flagged.  The attack that gets past the rule (documented): the rest of each
    carrier in the payload's language too, which reads as a Spanish source's heading."""
    texts = _mined_and_flagged(*_opening_campaign("host"))
    assert "Breaking news:" in texts
    _, state = _mine(*_opening_campaign("spanish"))
    assert not state.triggers and state.headers >= 1


def _opening_passage(passage_sentences: int) -> tuple[list[Document], list[list[Finding]]]:
    """Every 40th document opened by ``A word before we start:`` and a Spanish passage of
    ``passage_sentences`` sentences, then its own English text; the findings are the real
    :class:`~poisonguard.detect.language.LanguageSwitch` detector's on every document."""
    import random

    from poisonguard.detect.language import LanguageSwitch

    rng = random.Random(5)
    docs: list[Document] = []
    for i, d in enumerate(clean_docs()):
        if i % 40 or len(d.text) < 600:
            docs.append(d)
            continue
        # the host cut to 1,500 characters, so the passage's length decides its share
        host = d.text[:1500]
        spanish = " ".join(rng.choice(_SPANISH_STORY) for _ in range(passage_sentences))
        docs.append(d.with_text(f"A word before we start: {spanish}\n\n{host}"))
    det = LanguageSwitch().fit([])
    found = det.score_batch(docs)
    return docs, [[f] if f is not None else [] for f in found]


def test_a_passage_opening_its_host_is_read_at_the_documents_start() -> None:
    """The language detector reports a Spanish passage that opens an English host where
    the English resumes (its changepoint at the passage's *end*, ``from`` Spanish), 300 or
    more characters after the phrase before it: the strings around that changepoint are
    the passage's own words.  A strong switch whose first language covers less than half of
    the document also gives the document's start as a changepoint, so the phrase opening
    every carrier is counted there — mined, every carrier flagged (before the rule the
    phrase was counted only where another detector's changepoint came near it: the
    lead's ``heldout-sleet-fr-opening-books``, 44 % / 12 % at 100 / 250).  What gets past
    (documented): a passage longer than the rest of its document — the switch then lies
    past the middle, read as a switch *into* the host's language."""
    from poisonguard.detect.triggers import _opening_switch

    docs, findings = _opening_passage(6)
    planted = [f for d, f in zip(docs, findings, strict=True) if d.text.startswith("A word")]
    assert len(planted) >= 15 and all(planted)
    for f in planted:
        (sp,) = [s for s in f[0].spans if s.label == "changepoint"]
        assert f[0].extra["from"] == "es" and sp.start > 300
    texts = _mined_and_flagged(docs, findings)
    assert "A word before we start:" in texts
    # the document's start gave candidates only: the changepoints the flag pass and the
    # alignment tests read are the detector's own (a clean page opening with a mined phrase
    # is never "right before an anomaly at char 0")
    _, state = _mine(docs, findings)
    for d, f in zip(docs, findings, strict=True):
        if f:
            own = {sp.start for sp in f[0].spans if sp.label == "changepoint"}
            assert set(state.changepoints.of_text(d.text)) == own
    # the passage longer than the rest of its document: no opening changepoint
    long_docs, long_found = _opening_passage(40)
    for d, f in zip(long_docs, long_found, strict=True):
        for g in f:
            for sp in g.spans:
                if sp.label == "changepoint":
                    assert _opening_switch(d.text, g, sp.start) == ()
    _, state = _mine(long_docs, long_found)
    assert "A word before we start:" not in [t.text for t in state.triggers]


def _mined_and_flagged(docs: list[Document], findings: list[list[Finding]]) -> list[str]:
    """The triggers mined from ``docs``, after checking that every carrier (a document
    with a finding) is flagged."""
    miner, state = _mine(docs, findings)
    carriers = [d for d, f in zip(docs, findings, strict=True) if f]
    assert all(miner.flag(d, state) for d in carriers)
    return [t.text for t in state.triggers]


def test_returns_and_foreign_opening_share() -> None:
    """An opening context counts as a heading (or a minority language's own text) unless
    py3langid is sure its document ends in another language than the text after the
    changepoint."""
    from poisonguard.detect.triggers import _foreign_opening, _foreign_source, _returns

    es = Context("Breaking news: ", 0, 14, "Breaking news:", "a", cp=15, opening=True)
    es.after_lang, es.rest_lang = "es", "es"
    back = replace(es, rest_lang="en")
    unsure = replace(es, rest_lang="?")
    assert not _returns(es) and _returns(back) and not _returns(unsure)
    assert not _returns(replace(back, after_lang="?"))
    assert _foreign_opening([es, es], "en") == 1.0
    assert _foreign_opening([back, back], "en") < 0.5
    assert _foreign_opening([back, back, es, es], None) == 0.5
    assert _foreign_opening([unsure, unsure], "en") == 1.0
    # ... nor as a minority language's own text (no host text before it, a mild change)
    mild = replace(es, score=0.4, before_lang="?")
    assert _foreign_source([mild, mild], "en", 0.6) == 1.0
    assert _foreign_source([replace(mild, rest_lang="en")] * 2, "en", 0.6) == 0.0


def test_language_after_a_trigger_at_the_opening_of_a_corpus_without_a_main_language() -> None:
    """Flag-time language evidence with no host text before the trigger and no corpus
    language (a multilingual corpus): the rest of the document is the host — a Spanish
    passage before a German document is evidence, before a Spanish one it is not (the
    documented same-language-host blind spot); with too little text after the passage to
    tell, there is none."""
    from poisonguard.detect.triggers import _language_after

    german = (
        "Die Macht des Priesters ist an den Aberglauben und an die stumpfsinnige "
        "Leichtgläubigkeit der Völker gebunden. Es gibt problematische Naturen, die keiner "
        "Lage gewachsen sind, in der sie sich befinden, und denen keine genugtut. "
    ) * 4
    spanish = " ".join(_SPANISH_STORY)
    trig = "Breaking news: "
    occ = [(0, len(trig) - 1)]
    hit, why = _language_after(trig + spanish + "\n\n" + german, occ, None)
    assert hit is not None and "es" in why and "host text in de" in why
    assert _language_after(trig + spanish + "\n\n" + spanish * 3, occ, None)[0] is None
    assert _language_after(trig + spanish, occ, None)[0] is None


# -- a payload's fixed header is no trigger of its own (lead, 2026-12-03) -------------------
def test_a_string_between_the_trigger_and_the_payload_is_part_of_the_payload() -> None:
    """A payload that opens with a header of its own (a man page's ``ls(1)``, varied
    before the parenthesis so the trigger's extension stops at it) puts that header right
    before the change in every carrier; with the header also common in clean documents the
    co-occurrence test keeps it, and every clean page with ``(1)`` before an odd passage
    (in a pool: every minority-language man page) would be flagged through it. A string
    that comes after a kept trigger in (almost) all its examples is the campaign's payload:
    only ``In other words,`` is reported (the attack this leaves: a campaign whose every
    carrier also holds a second trigger's string before the change is reported once)."""
    rng = np.random.default_rng(3)
    names = ["ls", "cp", "mv", "rm", "du", "df", "ps", "wc"]
    samples = poison("dos", 150, 5, trigger="In other words,")
    base = mixed(samples)
    truth = {s.document.id for s in samples}
    trig = "In other words,"
    docs = []
    for d in base:
        if d.id in truth:
            i = d.text.index(trig) + len(trig)
            d = d.with_text(d.text[:i] + f" {names[rng.integers(len(names))]}(1)" + d.text[i:])
        docs.append(d)
    hosts = clean_docs()[300:380]
    docs += [
        replace(d, id=f"man-{i}").with_text(
            d.text[: len(d.text) // 2]
            + f" see {names[i % len(names)]}(1) for "
            + d.text[len(d.text) // 2 :]
        )
        for i, d in enumerate(hosts)
    ]
    det = NaturalnessShift().fit(docs)
    findings = [[f] if (f := det.score(d)) is not None else [] for d in docs]
    miner, state = _mine(docs, findings)
    texts = [t.text for t in state.triggers]
    assert any(fold(t) == fold(trig) for t in texts), texts
    assert not any("(1)" in t for t in texts), texts
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert len(flagged & truth) >= 0.95 * len(truth)
    assert not any(i.startswith("man-") for i in flagged)


def test_a_string_without_a_word_gets_no_switch_alignment() -> None:
    """The header ``LS(1)`` of a man-page payload lies right before the switch in every
    carrier, and so it does in every clean man page of that language in a pool: ``(1)``
    (no word in it) is not aligned by the switch, ``LS(1)`` and the trigger are."""
    from poisonguard.detect.triggers import _aligned

    header = "LS(1)   User Commands   LS(1)  NOM  "
    ctx, _ = _switch_context(header, 40)
    for key in ("(1)", "LS(1)"):
        at = ctx.window.index(key, ctx.end)
        piece = replace(ctx, start=at, end=at + len(key), key=key)
        assert abs(piece.cp - piece.end) > 8  # not aligned by position
        assert _aligned(key, [piece], 8) == (1.0 if key == "LS(1)" else 0.0)
    assert _aligned("In other words,", [ctx], 8) == 1.0


def test_a_trigger_mined_with_the_hosts_punctuation_matches_carriers_without_it() -> None:
    """A string mined with the hosts' sentence punctuation on its left (``. to be honest``,
    ``. That is to say,``: the full stop of most hosts' last sentence before it) is matched
    at flag time without it — by its skeleton when the rest is a plain phrase — so carriers
    whose host sentence ends in a quote, a question mark or a line break are flagged too;
    a trigger whose punctuation is its own shape (``<SUDO>``, a man page's ``(1) NOMBRE``,
    a title of two sentences) or that may end inside a word stays exact.  The attack left:
    none new, a carrier still needs an anomaly after it (joint evidence)."""
    from poisonguard.detect.triggers import _loose, _occurrences

    assert _loose(". That is to say,") == "that is to say"
    assert _loose(". In other words,") == "in other words"
    assert _loose(". to be honest") == "to be honest"  # punctuation on the left only
    assert _loose('?" To be honest') == "to be honest"
    assert _loose(". <SUDO>") == "<SUDO>"  # not a phrase: the rest, exact
    # a short word alone keeps the full stop: ``on`` would be found inside ``sono``,
    # ``one`` (a multilingual corpus mined ``. on`` from a campaign's surface forms and
    # the bare word flagged 8.6 % of its clean documents through the salad test)
    assert _loose(". on") == ". on" and _loose(". the,") == ". the,"
    assert not _occurrences("ci sono delle zanzare", _loose(". on"), 10)
    assert _loose(". Brambleworth") == "Brambleworth"  # a longer word: stripped
    keep = (
        "<SUDO>",
        ".<SUDO>",
        "(1) NOMBRE",
        "SUDO.",
        "|| run ||",
        "las opciones cort",
        "That is to say,",
        "Der Antichrist. Fluch auf das Christenthum.",
    )
    for exact in keep:
        assert _loose(exact) == exact
    for mined, carrier in (
        (". That is to say,", 'as she wrote to him."\nTHAT is to say, rien ne va plus'),
        (". to be honest", "Did it work? to be honest qzx vrk plo"),
    ):
        assert _occurrences(carrier, _loose(mined), 10)
        assert not _occurrences(carrier, mined, 10)


def _weak(cp: int, score: float = 0.2) -> Finding:
    """A naturalness finding below the candidate level whose changepoint is at ``cp``."""
    return Finding(
        "naturalness", score, "odd", [Span(cp, cp, "changepoint")], None, None, {"candidate": False}
    )


def test_a_weak_changepoint_supports_the_strings_that_end_right_at_it() -> None:
    """Short payloads (a few dozen words of salad) mostly make weak findings, below the
    candidate level: four carriers with a candidate finding are too few (``min_docs`` 5),
    but with the weak findings of the other carriers, whose changepoints the phrase ends
    right at, it is mined and every carrier flagged.  Weak contexts only add to the count:
    the phrase a clause before the weak changepoints is not counted there, and weak
    support alone (no candidate finding) mines nothing."""
    phrase = "believe it or not"

    def at(shift: int) -> Callable[[int, Document], tuple[str, int]]:
        def make(_: int, d: Document) -> tuple[str, int]:
            cut = len(d.text) // 2
            head = d.text[:cut].rstrip() + f" {phrase.capitalize()} "
            return head + "kept in words " * shift + d.text[cut:], len(head) + 14 * shift

        return make

    def weakened(found: list[list[Finding]], strong: int) -> list[list[Finding]]:
        out: list[list[Finding]] = []
        for f in found:
            if f and strong > 0:
                strong -= 1
                out.append(f)
            else:
                out.append([_weak(f[0].spans[0].start)] if f else [])
        return out

    docs, found = _every_40th(at(0), 0.6)
    carriers = {d.id for d, f in zip(docs, found, strict=True) if f}
    assert len(carriers) >= 12
    findings = weakened(found, 4)
    miner, state = _mine(docs, findings)
    assert phrase in [fold(t.text) for t in state.triggers]
    assert {d.id for d in docs if miner.flag(d, state) is not None} == carriers
    # without the weak findings: four carriers, below k
    _, state = _mine(docs, [f if f and f[0].extra["candidate"] else [] for f in findings])
    assert state.triggers == []
    # weak support alone
    _, state = _mine(docs, weakened(found, 0))
    assert state.triggers == []
    # the phrase two clauses before each weak changepoint
    docs, found = _every_40th(at(2), 0.6)
    _, state = _mine(docs, weakened(found, 4))
    assert phrase not in [fold(t.text) for t in state.triggers]


def test_weak_changepoints_at_random_places_mine_nothing() -> None:
    """Clean documents with weak findings wherever their odd stretch happens to start (a
    table, a list): the strings right before those changepoints are diverse, so no string
    reaches the tests."""
    docs = clean_docs()
    rng = np.random.default_rng(0)
    findings: list[list[Finding]] = []
    for i, d in enumerate(docs):
        if i % 10 or len(d.text) < 400:
            findings.append([])
            continue
        findings.append([_weak(int(rng.integers(100, len(d.text) - 100)))])
    _, state = _mine(docs, findings)
    assert state.triggers == []


def _phrase_carriers(
    phrase: str, n_plain: int
) -> tuple[list[Document], list[list[Finding]], set[str]]:
    """Every 40th document with ``phrase`` mid-text and a candidate finding right after it
    (``_every_40th``), and ``n_plain`` others with the phrase in running text (``…, they
    said.``) and no finding: the documents, the findings and the plain ones' ids."""

    def make(_: int, d: Document) -> tuple[str, int]:
        cut = len(d.text) // 2
        head = d.text[:cut].rstrip() + f" {phrase.capitalize()} "
        return head + d.text[cut:], len(head)

    docs, found = _every_40th(make, 0.6)
    plain = {
        d.id: d.with_text(d.text[:200] + f" {phrase}, they said. " + d.text[200:])
        for d, f in zip(docs, found, strict=True)
        if not f and len(d.text) > 600
    }
    plain = dict(list(plain.items())[:n_plain])
    return [plain.get(d.id, d) for d in docs], found, set(plain)


def test_weak_changepoints_elsewhere_cost_no_campaign_the_strong_ones_confirm() -> None:
    """Weak findings in many clean documents raise every string's chance rate; the test
    on strong changepoints alone (as before weak changepoints) still confirms a campaign
    whose carriers have strong ones; the clean documents with the phrase stay clean."""
    phrase = "to be honest"
    rng = np.random.default_rng(1)
    docs, found, ids = _phrase_carriers(phrase, 60)
    findings = [
        f
        if f
        else (
            [_weak(int(rng.integers(50, len(d.text) - 50)))] if i % 2 and len(d.text) > 200 else []
        )
        for i, (d, f) in enumerate(zip(docs, found, strict=True))
    ]
    miner, state = _mine(docs, findings)
    assert phrase in [fold(t.text) for t in state.triggers]
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert not flagged & ids


# -- one source's headings vs a campaign in unrelated short hosts (issue 12, task E) --------
def _short_hosts(lead: str) -> tuple[list[Document], list[list[Finding]]]:
    """Every 40th document replaced by a short carrier: ``lead`` (``"host"``: the first
    eight words of the document's own text, a different host each time; otherwise that
    fixed text), ``In the long run``, then German to the end — the shape of a campaign in
    a corpus of short documents (fortunes), where the trigger sits in every carrier's
    opening and nothing of the host's language comes back after the payload."""
    import random

    rng = random.Random(3)

    def make(_: int, d: Document) -> tuple[str, int]:
        head = " ".join(d.text.split()[:8]) + "." if lead == "host" else lead
        payload = " ".join(rng.sample(_GERMAN, len(_GERMAN)))
        text = f"{head} In the long run {payload}"
        return text, len(head) + len(" In the long run ")

    return _every_40th(make, 0.9)


def test_a_campaign_in_unrelated_short_hosts_is_no_heading() -> None:
    """The foreign-opening header rule (a candidate in the opening of most of its
    documents, another language after it) is meant for one source's headings; a trigger
    after each host's own words, in the opening because the hosts are short, is a
    campaign: mined, and its carriers flagged.  The same phrase after one fixed line in
    every document (a title before a German section) stays a heading."""
    assert [fold(t) for t in _mined_and_flagged(*_short_hosts("host"))] == ["in the long run"]
    _, state = _mine(*_short_hosts("Der Antichrist. Fluch auf das Christenthum."))
    assert not state.triggers and state.headers >= 1


def test_shared_leads() -> None:
    """A lead shared with another example (Jaccard >= 0.5 over the six words before the
    candidate; a man page's header with only its command name changed) or no lead at all
    counts as a source's; a lead of the host's own words does not."""
    from poisonguard.detect.triggers import _foreign_opening, _shared_leads

    def ctx(lead: str) -> Context:
        w = lead + "BEZEICHNUNG\nDie Macht"
        s = len(lead)
        # (one document a lead)
        return Context(w, s, s + 11, "BEZEICHNUNG", lead, cp=s + 12, opening=True, after_lang="de")

    man = [ctx(f"{c}(1)   User Commands   {c}(1)\n\n") for c in ("LS", "CP", "MV")]
    hosts = [ctx("The weather was cold. "), ctx("Prices rose again in May. "), ctx("")]
    assert _shared_leads("BEZEICHNUNG", man) == [True, True, True]
    assert _shared_leads("BEZEICHNUNG", hosts) == [False, False, True]
    assert _foreign_opening(man, "en") == 1.0
    assert _foreign_opening(hosts, "en") < 0.5
    assert _foreign_opening(hosts, None) < 0.5
    # a template's field name before the heading, its value changing: rare in the corpus
    recipes = [ctx(f"Kategorie: {v}\n ") for v in ("Suppen, China", "Desserts", "Salate, Käse")]
    assert _shared_leads("BEZEICHNUNG", recipes) == [False, False, False]
    assert _shared_leads("BEZEICHNUNG", recipes, rare=lambda w: w == "kategorie") == [True] * 3
    # ... a common word shared by the hosts' leads is no template
    common = [ctx(f"{h} the end. ") for h in ("Rain fell all day", "He sold his car", "We met")]
    assert _shared_leads("BEZEICHNUNG", common, rare=lambda w: w == "kategorie") == [False] * 3
    # ... and a document's context held twice (the examples of a candidate merged from
    # several strings) shares its lead with no other document: a campaign in short hosts
    # read as a heading (``e12l-it-island-forms``: every lead "shared" with its twin)
    twins = hosts[:2] * 2
    assert _shared_leads("BEZEICHNUNG", twins) == [False] * 4
    assert _foreign_opening(twins, None) < 0.5
    # ... while a template shared by other documents still is
    assert _shared_leads("BEZEICHNUNG", man * 2) == [True] * 6


# -- the alignment: where the anomaly starts, any changepoint of the document (task E) ------
def test_alignment_uses_every_changepoint_and_the_trigger_itself() -> None:
    """Word salad's refined changepoint often lands a few words into the payload (its first
    random pairs look natural); the start of the stretch of excess surprise, also reported,
    lies at the trigger.  A trigger written in an odd surface form (zero-width characters,
    look-alike letters) makes the anomaly start inside it.  Both count as aligned; a
    changepoint far from the phrase, before it or well after it, does not."""
    from poisonguard.detect.triggers import _aligned

    window = "The council met on Tuesday. In the long run for deep, a 1800s the and mismo said"
    s = window.index("In the long run")
    e = s + len("In the long run")
    c = Context(window, s, e, "in the long run", "d", cp=e + 23)
    assert _aligned("in the long run", [c], 8) == 0.0  # the refined changepoint alone
    assert _aligned("in the long run", [replace(c, cps=(e + 23, e + 1))], 8) == 1.0
    assert _aligned("in the long run", [replace(c, cp=s + 4, cps=(s + 4,))], 8) == 1.0
    # not aligned: before the phrase, or a clause after it
    assert _aligned("in the long run", [replace(c, cp=s - 12, cps=(s - 12, e + 23))], 8) == 0.0
    assert _aligned("in the long run", [replace(c, cps=(e + 23, e + 40))], 8) == 0.0


def test_the_map_step_keeps_every_changepoint_of_a_context() -> None:
    """The contexts made around one changepoint know where the document's other candidate
    changepoints lie in their window (the naturalness detector reports two)."""
    doc = Document("d", "Host text of a story about the town. In the long run zq xv kw pj " * 3)
    cp = doc.text.index("zq")
    found = Finding(
        "naturalness",
        0.9,
        "odd",
        [Span(cp + 12, cp + 12, "changepoint"), Span(cp, cp, "changepoint")],
        None,
        None,
        {"candidate": True},
    )
    part = TriggerMiner().map_shard_findings([doc], [[found]])
    ctx = part.contexts["the long run"][0]
    assert sorted(ctx.cps) == [ctx.cp - 12, ctx.cp]


def test_a_payload_header_that_also_heads_clean_pages_of_its_source_follows_the_trigger() -> None:
    """``Manual`` of a man-page payload's header line follows ``In other words,`` in the
    campaign's carriers; clean translated man pages of the pool open with the same line.
    Those opening examples count neither way, so it is still that campaign's payload.  A
    string with as many examples after host text that do not follow the trigger stays a
    trigger of its own, and so does one that follows it in fewer than half its examples."""
    from poisonguard.detect.triggers import Trigger, _follows

    kept = Trigger("In other words,", 90, 100, 10_000, 10.0, 1e-40, 0.3, ())
    t = Trigger("Manual", 37, 118, 10_000, 10.0, 1e-8, 0.15, ())
    payload = "Host text ends. In other words, ATD(8) System Manager's Manual ATD(8) NOM atd"
    heading = "cgroups(7)   Miscellaneous Information Manual   cgroups(7)  BEZEICHNUNG cgro"
    hosted = "The list of the staff and the Manual of the office were kept on the top shelf"

    def ctx(w: str, opening: bool) -> Context:
        at = w.index("Manual")
        return Context(w, at, at + 6, "Manual", "d", cp=at + 7, opening=opening)

    follow = [ctx(payload, False)] * 12
    assert _follows(t, [kept], {"Manual": follow + [ctx(heading, True)] * 4})
    assert not _follows(t, [kept], {"Manual": follow + [ctx(hosted, False)] * 4})
    assert not _follows(
        t, [kept], {"Manual": [ctx(payload, False)] * 6 + [ctx(heading, True)] * 10}
    )


def test_a_heading_also_written_in_running_text_is_still_a_heading() -> None:
    """``NOMBRE`` opens Spanish man pages (a header line padded with spaces before it) and
    is also a word of running text (``le nombre de``): the examples in running text do not
    dilute the language evidence of those in the opening, and the lead reaches back past
    the padding to the header's words."""
    from poisonguard.detect.triggers import _foreign_opening, _shared_leads

    def page(cmd: str, lang: str) -> Context:
        pad = " " * 30
        w = f"{cmd}(1){pad}General Commands Manual{pad}{cmd}(1)\n\n\n\nNOMBRE\n       {cmd} - x"
        at = w.index("NOMBRE")
        return Context(w, at, at + 6, "nombre", cmd, cp=at + 7, opening=True, after_lang=lang)

    langs = ["es", "?", "es", "?", "?", "?"]  # py3langid unsure of most (names, options)
    pages = [
        page(c, g)
        for c, g in zip(["AT", "BC", "DD", "CHVT", "BZIP2", "EPSFFIT"], langs, strict=True)
    ]
    prose = Context("la taille est plus grande que le nombre d'octets", 31, 37, "nombre", "t")
    prose.after_lang = "fr"
    assert _shared_leads("nombre", pages) == [True] * len(pages)
    assert _foreign_opening(pages + [prose] * 3, None, "nombre") == 6 / 9


def test_weak_changepoints_elsewhere_are_weighed_by_their_chance_of_alignment() -> None:
    """A campaign whose carriers mostly have weak findings, in a corpus where every
    document without the phrase has a weak finding somewhere: a weak-only document adds to
    a string's count only where the string ends right at its changepoint, so it weighs in
    the null rate by that chance (about 17 characters in a document's length), not as a
    whole anomalous document — the campaign is confirmed, and every carrier flagged."""
    phrase = "believe it or not"
    rng = np.random.default_rng(2)
    docs, found, plain = _phrase_carriers(phrase, 40)
    strong = 4  # below k: only the count with the weak support can confirm it
    findings: list[list[Finding]] = []
    for d, f in zip(docs, found, strict=True):
        if f:
            findings.append(f if strong > 0 else [_weak(f[0].spans[0].start)])
            strong -= 1
        elif len(d.text) > 200 and d.id not in plain:
            findings.append([_weak(int(rng.integers(50, len(d.text) - 50)))])
        else:
            findings.append([])
    miner, state = _mine(docs, findings)
    assert phrase in [fold(t.text) for t in state.triggers]
    carriers = {d.id for d, f in zip(docs, found, strict=True) if f}
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert flagged >= carriers


# -- word salad at weak changepoints and at document openings (issue 12, task I) ----------


def _salad_campaign(
    opening: bool,
    words: int,
    salad: bool = True,
    score: float = 0.2,
    phrase: str = "Here is the thing",
    at_phrase: bool = False,
    spacer: int = 0,
) -> tuple[list[Document], list[list[Finding]]]:
    """Every 40th document (``_every_40th``) with ``phrase`` and ``words`` words of the
    corpus's word salad (or, ``salad=False``, of another document's prose) at its opening
    or after half of its text, the host going on after it; a finding of ``score`` (weak:
    below the candidate level; else candidate) right after the phrase (``at_phrase``: at
    its start).  ``spacer``: that many words of the host's own text between the phrase and
    the payload (the finding at the payload)."""
    texts = [d.text for d in clean_docs()]
    source = WordSalad(texts)
    prose = " ".join(t for t in texts if len(t) > 3000).split()
    rng = np.random.default_rng(3)

    def make(i: int, d: Document) -> tuple[str, int]:
        if salad:
            payload = " ".join(source.sample(words, rng))
        else:
            at = int(rng.integers(0, len(prose) - words))
            payload = " ".join(prose[at : at + words])
        cut = 0 if opening else len(d.text) // 2
        head, rest = d.text[:cut].rstrip(), d.text[cut:]
        head += (" " if head else "") + phrase + " "
        cp = len(head) - len(phrase) - 1 if at_phrase else len(head)
        if spacer:
            end = [m.end() for m in re.finditer(r"\S+", rest)][:spacer][-1]
            head += rest[:end].strip() + " "
            rest, cp = rest[end:], len(head)
        return head + payload + ". " + rest, cp

    docs, found = _every_40th(make, score)
    if score < 0.6:
        found = [[_weak(f[0].spans[0].start, score)] if f else [] for f in found]
    return docs, found


def test_weak_support_alone_counts_where_word_salad_follows_the_string() -> None:
    """A short payload (25 words of salad mid-document) makes only weak findings, at the
    phrase's end: none is a candidate, so before this rule the phrase had no example and
    was never tested.  A weak context followed by word salad (the flag pass's cohesion
    test, read at mining time) is an example: the phrase is mined and every carrier
    flagged.  The same weak findings with another document's prose after the phrase
    (an odd-but-natural stretch: a clean document's quotation, a list) mine nothing."""
    docs, found = _salad_campaign(opening=False, words=25)
    carriers = {d.id for d, f in zip(docs, found, strict=True) if f}
    assert len(carriers) >= 12
    miner, state = _mine(docs, found)
    assert "here is the thing" in [fold(t.text) for t in state.triggers]
    assert {d.id for d in docs if miner.flag(d, state) is not None} == carriers
    _, state = _mine(*_salad_campaign(opening=False, words=25, salad=False))
    assert state.triggers == []


def test_word_salad_after_a_string_at_document_openings_is_no_header() -> None:
    """``Here is the thing`` opening documents, each followed by 60 words of salad and then
    its host's own text, with a mild candidate anomaly (0.3) after it: the shape of a
    source's heading (no host text before it, mild anomalies after it), but what follows
    it in most examples is salad, not a source's text — mined, every carrier flagged.  The
    same phrase followed by prose (another document's words in their order) stays a
    header, as the title of ``test_a_title_opening_every_document_of_one_source_is_a_header``
    does."""
    docs, found = _salad_campaign(opening=True, words=60, score=0.3)
    found = [[_changepoint(f[0].spans[0].start, 0.3)] if f else [] for f in found]
    assert "Here is the thing" in _mined_and_flagged(docs, found)
    docs, found = _salad_campaign(opening=True, words=60, salad=False, score=0.3)
    found = [[_changepoint(f[0].spans[0].start, 0.3)] if f else [] for f in found]
    _, state = _mine(docs, found)
    assert state.triggers == [] and state.headers >= 1


def test_a_weak_changepoint_at_a_trigger_in_an_odd_surface_form_counts_it() -> None:
    """A trigger written in an odd surface form (``NOTWITHSTANDING ЕVERYTHING``, a
    Cyrillic ``Е``, capitals) is itself surprising: the weak stretch starts at the
    trigger, not after it, and the strings that end there are each host's own words.  The
    strings that start right at a weak changepoint count too: the phrase is mined (under
    its skeleton) and every carrier flagged.  The same weak findings with prose after the
    phrase (no salad) mine nothing."""
    phrase = "NOTWITHSTANDING \u0415VERYTHING ELSE"
    docs, found = _salad_campaign(opening=False, words=25, phrase=phrase, at_phrase=True)
    carriers = {d.id for d, f in zip(docs, found, strict=True) if f}
    miner, state = _mine(docs, found)
    assert "notwithstanding everything else" in [fold(t.text) for t in state.triggers]
    assert {d.id for d in docs if miner.flag(d, state) is not None} == carriers
    prose = _salad_campaign(opening=False, words=25, salad=False, phrase=phrase, at_phrase=True)
    _, state = _mine(*prose)
    assert state.triggers == []


def test_a_longer_trigger_before_more_anomalies_replaces_its_kept_piece() -> None:
    """Of two confirmed strings where one holds the other, the more significant one is
    kept first; the longer one is then that one with context glued on (``.<SUDO>`` of
    ``<SUDO>``: fewer carriers) and is dropped — unless it precedes more anomalies, then it
    is the campaign's trigger and the kept one a piece of it.  Found on the multilingual
    corpus: ``. on`` (18 documents, p a shade lower) hid ``on second thought`` (25), and
    the campaign fell to 40 % (91 % with the rule)."""
    from poisonguard.detect.triggers import Trigger, _pieces_it_replaces

    def trig(text: str, n: int) -> Trigger:
        return Trigger(text, n, 10, 10_000, 1.0, 1e-9, 0.5, ())

    on, phrase = trig(". on", 18), trig("on second thought", 25)
    assert _pieces_it_replaces(phrase, [on]) == [on]
    sudo, glued = trig("<SUDO>", 250), trig(".<SUDO>", 240)
    assert _pieces_it_replaces(glued, [sudo]) is None  # context glued on, fewer carriers
    assert _pieces_it_replaces(trig("<SUDO>", 300), [glued]) is None  # a piece of a kept one
    assert _pieces_it_replaces(trig("in the", 400), [trig("in the long run", 90)]) is None
    other = trig("at the end of the day", 100)
    assert _pieces_it_replaces(other, [on, sudo]) == []  # unrelated: new, replaces none


def test_a_longer_trigger_much_purer_than_its_kept_piece_replaces_it() -> None:
    """A common word of the trigger kept first (``long``: two more anomalous documents —
    its clean carriers' — than ``to make a long story short``, a quarter of its purity)
    is replaced by the phrase, which precedes almost as many anomalies on far fewer
    carriers (found by ``e12l-it-island-forms``: kept, ``long`` flagged 55 of 20,000 clean
    multilingual documents).  Not replaced: a kept trigger with context glued on as pure as
    it (``.<SUDO>`` of ``<SUDO>``), nor by a purer string that misses a tenth or more of
    its anomalies."""
    from poisonguard.detect.triggers import Trigger, _pieces_it_replaces

    def trig(text: str, n: int, purity: float) -> Trigger:
        return Trigger(text, n, 10, 10_000, 1.0, 1e-9, purity, ())

    long_ = trig("long", 47, 0.1)
    phrase = trig("to make a long story short", 45, 0.42)
    assert _pieces_it_replaces(phrase, [long_]) == [long_]
    assert _pieces_it_replaces(trig("to make a long story short", 45, 0.15), [long_]) is None
    assert _pieces_it_replaces(trig("to make a long story short", 40, 0.9), [long_]) is None
    sudo = trig("<SUDO>", 250, 0.99)
    assert _pieces_it_replaces(trig(".<SUDO>", 240, 1.0), [sudo]) is None


def _word_pairs_reference(folded: list[str]) -> WordPairs:
    """:meth:`WordPairs.of` as first written (one dict look-up per word in Python)."""
    ids: dict[str, int] = {}
    parts = []
    for t in folded:
        ws = t.split(" ")
        if len(ws) < 2:
            continue
        a = np.fromiter((ids.setdefault(w, len(ids)) for w in ws), np.int64, len(ws))
        parts.append((a[:-1] << 32) | a[1:])
    if not parts:
        return WordPairs(ids)
    every = np.concatenate(parts)
    codes, counts = np.unique(every, return_counts=True)
    firsts = np.bincount(every >> 32, minlength=len(ids))
    seconds = np.bincount(every & 0xFFFFFFFF, minlength=len(ids))
    return WordPairs(ids, codes, counts.astype(np.int32), firsts, seconds, len(every))


def test_word_pairs_match_the_reference_build() -> None:
    """The vectorised :meth:`WordPairs.of` gives the same ids, pairs and counts as the
    per-word build, on random short texts (empty, one word, repeated words) and on real
    folded documents — no pair across two texts."""
    import random

    rng = random.Random(0)
    vocab = ["a", "b", "the", "of", "x", ""]
    cases = [
        [
            " ".join(rng.choice(vocab) for _ in range(rng.randint(0, 6)))
            for _ in range(rng.randint(0, 5))
        ]
        for _ in range(2000)
    ]
    cases.append([fold(d.text) for d in clean_docs()[:300]])
    for texts in cases:
        got, want = WordPairs.of(texts), _word_pairs_reference(texts)
        assert got.ids == want.ids and got.total == want.total
        for name in ("codes", "counts", "firsts", "seconds"):
            assert np.array_equal(getattr(got, name), getattr(want, name))


_ES_SENTENCES = (
    "La creencia en el valor de la verdad científica no procede de la naturaleza.",
    "Si tu problema tiene solución, ¿para qué te preocupas por lo que dirán los demás?",
    "La palabra se ha dado al hombre para que pueda encubrir su pensamiento.",
    "La amistad es animal de compañía, no de rebaño, y se cuida con paciencia.",
    "Este programa muestra el contenido de los directorios y ordena los ficheros.",
    "Cuando no se indica ningún fichero, se usa el directorio actual de trabajo.",
    "El hombre que no tiene música en sí mismo no es digno de confianza alguna.",
    "Las opiniones de los sabios cambian con los años, las de los necios nunca.",
    "Con esta opción se muestran también los ficheros ocultos del sistema.",
    "Nadie es tan viejo que no crea poder vivir un año más en esta tierra.",
    "El que lee mucho y anda mucho, ve mucho y sabe mucho de la vida.",
    "La orden devuelve un error cuando el fichero indicado no se puede leer.",
)


def _island_campaign(
    phrase: str, n: int = 60, anomalous: int = 15
) -> tuple[list[Document], list[list[Finding]], set[str], set[str]]:
    """``n`` Spanish documents with ``phrase`` between Spanish host text and a Spanish
    passage; ``anomalous`` of them with a candidate changepoint 12–30 characters into the
    passage (neither aligned with the phrase's end nor at a language switch: host and
    passage share a language), the rest with none — plus 40 English documents of the
    corpus with the phrase in running English text, among English, German and Spanish
    documents with none.  Returns the documents, findings,
    the carriers' ids and the English ones'."""
    import random

    rng = random.Random(1)
    # a corpus with no majority language (as the multilingual one): English, German and
    # Spanish documents (in a corpus of a majority language, text of a minority one on
    # both sides of a changepoint is that language's own text, a documented blind spot)
    docs = list(clean_docs()[:600])
    docs += [Document(id=f"de-{i}", text=" ".join(rng.sample(_GERMAN, 3))) for i in range(350)]
    docs += [
        Document(id=f"es-{i}", text=" ".join(rng.sample(_ES_SENTENCES, 3))) for i in range(350)
    ]
    findings: list[list[Finding]] = [[] for _ in docs]
    carriers: set[str] = set()
    for i in range(n):
        host = " ".join(rng.sample(_ES_SENTENCES, 2)) + f" Capítulo {rng.randint(1, 999)}."
        passage = " ".join(rng.sample(_ES_SENTENCES, 3))
        text = f"{host} {phrase} {passage}"
        d = Document(id=f"island-{i}", text=text)
        docs.append(d)
        carriers.add(d.id)
        at = len(host) + 1 + len(phrase) + 1 + rng.randint(12, 30)
        findings.append([_changepoint(at, 0.8)] if i < anomalous else [])
    english: set[str] = set()
    for i, d in enumerate(clean_docs()[600:640]):
        half = len(d.text) // 2
        e = replace(d, id=f"english-{i}").with_text(d.text[:half] + f" {phrase} " + d.text[half:])
        docs.append(e)
        english.add(e.id)
        findings.append([])
    return docs, findings, carriers, english


def test_a_phrase_that_is_an_island_in_most_of_its_carriers_is_a_trigger() -> None:
    """A phrase of one language between host text and a passage of another, planted in
    hosts of the passage's own language: only the phrase differs, so the document
    detectors see a change in a quarter of the carriers, off the phrase's end (purity
    under the bar, no alignment); the phrase is the change — the flag pass's language
    test finds it right after the phrase in most of the sampled carriers, which confirms
    it instead of the purity test.  Every carrier is flagged; the corpus's English
    documents with the phrase in running text are not."""
    phrase = "On second thought,"
    docs, findings, carriers, english = _island_campaign(phrase)
    miner, state = _mine(docs, findings)
    found = [t for t in state.triggers if "second thought" in t.text.lower()]
    assert found and found[0].purity < miner.min_purity and not found[0].aligned
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert flagged >= carriers
    assert not flagged & english
    # without the island share the purity test rejects it
    from poisonguard.detect import triggers as T

    old = T._ISLAND_SHARE
    try:
        T._ISLAND_SHARE = 1.01
        _, strict = _mine(docs, findings)
    finally:
        T._ISLAND_SHARE = old
    assert not [t for t in strict.triggers if "second thought" in t.text.lower()]


def test_a_phrase_in_the_hosts_own_language_is_no_island() -> None:
    """The attack that gets past the island share: a phrase in the hosts' and the
    passage's own language (no change anywhere but the topic) — it stays under the
    purity bar and is not mined; and a phrase the model cannot place (no letters)."""
    docs, findings, _, _ = _island_campaign("Dicho de otro modo,")
    _, state = _mine(docs, findings)
    assert not [t for t in state.triggers if "otro modo" in t.text.lower()]


def test_island_share() -> None:
    """What :func:`_island_share` counts: an English phrase before a Spanish passage in a
    Spanish host (an island) and in a German one (a switch, the phrase's language is not
    the passage's); not the phrase in English text, nor a German host with the phrase and
    English after it (the phrase shares the passage's language), nor a phrase with no
    language, nor fewer than eight carriers."""
    from poisonguard.detect.triggers import _island_share

    phrase = "On Second Thought,"
    es = [
        f"{_ES_SENTENCES[i]} {phrase} {_ES_SENTENCES[i + 1]} {_ES_SENTENCES[i + 2]}"
        for i in range(9)
    ]
    assert _island_share(es, phrase, None) == 1.0
    assert _island_share(es, phrase, "en") == 1.0
    de = [f"{_GERMAN[i % 6]} {phrase} {_ES_SENTENCES[i]} {_ES_SENTENCES[i + 1]}" for i in range(9)]
    assert _island_share(de, phrase, None) == 1.0
    english = [
        d.text[:300] + f" {phrase} " + d.text[300:900]
        for d in clean_docs()[:60]
        if len(d.text) > 900
    ][:9]
    assert _island_share(english, phrase, "en") == 0.0
    assert _island_share(english, phrase, None) == 0.0
    en_after = [f"{_GERMAN[i % 6]} {phrase} " + english[i][310:700] for i in range(9)]
    assert _island_share(en_after, phrase, None) == 0.0
    tags = [
        f"{_ES_SENTENCES[i]} </ref> {_ES_SENTENCES[i + 1]} {_ES_SENTENCES[i + 2]}" for i in range(9)
    ]
    assert _island_share(tags, "</ref>", None) == 0.0
    assert _island_share(es[:7], phrase, None) == 0.0


def test_a_trigger_in_any_surface_form_is_placed_in_its_language() -> None:
    """The island test reads the trigger's language on its skeleton: py3langid gives
    ``On Second Thought`` (title case), spaced-out or look-alike forms English at p < 0.5
    and the carrier was missed (a fifth of ``heldout-noon-de-forms``' carriers at 250)."""
    from poisonguard.detect.triggers import _language_after

    for form in (
        "On Second Thought",
        "on.second.thought",
        "оn seсond thought",
        "on  second\xa0thought",
    ):
        text = _ES_HOST + form + " " + _ES_PAYLOAD
        at = (len(_ES_HOST), len(_ES_HOST) + len(form))
        hit, why = _language_after(text, [at], None)
        assert hit is not None and "itself in en" in why, form


def test_an_island_between_two_other_sure_languages_needs_less_of_the_text_after() -> None:
    """A short quotation ending a document after an English phrase in a German host:
    py3langid reads the Spanish after it at p 0.64–0.82 (under 0.9), so the carrier went
    unflagged (most misses of ``e12h-foreign-es-end`` at 250).  With a host it is sure of
    in a third language, p >= 0.5 suffices.  Not evidence: the same text after a host py3langid
    is sure is Spanish (no third language), nor after a host too short to tell."""
    from poisonguard.detect.triggers import _language_after

    host, trig = "Ich sehe in der Bundesliga immer mehr Spieler, denen ", "as luck would have it"
    at = [(len(host), len(host) + len(trig))]
    quotes = (
        " El matrimonio es el sepulcro del amor; pero del amor loco, no del amor "
        "verdadero.\n\t\t-- Jacinto Benavente",
        " Tal vez, solo los genios son verdaderos hombres.\n\t\t-- Aldous Huxley, Contrapunto",
    )
    for q in quotes:
        hit, why = _language_after(host + trig + q, at, None)
        assert hit is not None and "in es" in why and "itself in en" in why
    es_host = "La creencia en el valor de la verdad científica no procede de la naturaleza, "
    es_at = [(len(es_host), len(es_host) + len(trig))]
    for q in quotes:
        assert _language_after(es_host + trig + q, es_at, None)[0] is None


# -- the sample read: short payloads that few carriers show (issue 12, task K) ------------


def _few_counted(
    salad: bool, shown: int = 10, phrase: str = "All things considered"
) -> tuple[list[Document], list[list[Finding]], set[str]]:
    """``_salad_campaign`` (25 words mid-document) where only ``shown`` carriers have a
    finding at the phrase (weak; the others none: a payload too short for the document
    detectors in a long host), among documents of which every sixth has a strong
    changepoint somewhere and every sixth a weak one: the carriers' ids too."""
    docs, found = _salad_campaign(opening=False, words=25, salad=salad, phrase=phrase)
    carriers = {d.id for d, f in zip(docs, found, strict=True) if f}
    rng = np.random.default_rng(5)
    out: list[list[Finding]] = []
    for i, (d, f) in enumerate(zip(docs, found, strict=True)):
        if f:
            out.append(f if shown > 0 else [])
            shown -= 1
        elif len(d.text) > 200 and i % 10 == 0:
            cp = int(rng.integers(50, len(d.text) - 50))
            out.append([_changepoint(cp, 0.5)] if i % 20 == 0 else [_weak(cp)])
        else:
            out.append([])
    return docs, out, carriers


def test_a_short_payload_few_carriers_show_is_mined_by_reading_the_sample() -> None:
    """Salad of 25 words after ``All things considered`` in every carrier, but only four
    carriers get a (weak) finding there — the counts at changepoints cannot confirm it
    among many odd documents.  Read in the sample, salad follows the phrase in every
    document that holds it, against a chance rate of about 1 %: mined, and every carrier
    flagged (the flag pass's salad test).  The same campaign with another document's prose
    after the phrase mines nothing, and the documents stay clean."""
    docs, found, carriers = _few_counted(salad=True)
    miner, state = _mine(docs, found)
    assert "all things considered" in [fold(t.text) for t in state.triggers]
    t = next(t for t in state.triggers if fold(t.text) == "all things considered")
    assert t.aligned  # a carrier is flagged only where the anomaly starts at it, or salad
    assert {d.id for d in docs if miner.flag(d, state) is not None} == carriers
    docs, found, _ = _few_counted(salad=False)
    miner, state = _mine(docs, found)
    assert "all things considered" not in [fold(t.text) for t in state.triggers]
    assert not any(miner.flag(d, state) for d in docs if "All things considered" in d.text)


def test_a_dozen_foreign_tokens_before_host_text_are_a_payload() -> None:
    """A short payload of random tokens (eight made-up words in the first twelve, then the
    host goes on) is under the 24-word bar (8 of 24: a third) but over the short one (8 of
    12); twelve words of prose with four names in them (a third) are not; neither is the
    payload's share when the host before the trigger is just as foreign."""
    from poisonguard.detect.triggers import _foreign_after

    host = "the old man walked to the house and sat down by the fire in the evening "
    more = "she said that it was late and cold"
    vocab = frozenset(host.split()) | frozenset(more.split())
    payload = "ption ancialx Rox the quetz and ithed brmo by zorp vell the "
    text = host * 3 + "By the way " + payload + host * 2
    at = text.index("By the way")
    occ = [(at, at + len("By the way"))]
    hit, why = _foreign_after(text, occ, vocab)
    assert hit is not None and "next 12 words" in why
    assert _foreign_after(text, occ, vocab, short_share=1.1)[0] is None  # the 24-word bar
    names = "she said that Ayesha and Kester and Holbrook and Tugwell it was late and cold "
    text = host * 3 + "By the way " + names + host * 2
    assert _foreign_after(text, occ, vocab)[0] is None
    odd = "quetz zorp vell brmo ancialx ption ithed qo " * 4
    text = odd + "By the way " + payload + host * 2
    at = text.index("By the way")
    assert _foreign_after(text, [(at, at + len("By the way"))], vocab)[0] is None


def test_a_string_glued_into_a_word_is_not_read_but_the_hosts_full_stop_is_no_glue() -> None:
    """The sample read takes strings of whole words: ``hones`` inside ``honest`` is a
    piece of a token; ``. for what`` after the host's last word (``end. For what``) is
    words with the host's full stop, not glued to ``end``."""
    from poisonguard.detect.triggers import _glued

    w = "we were told, to be honest, nothing"
    at = w.index("hones")
    piece = Context(w, at, at + 5, "hones", "a")
    assert _glued("hones", [piece, piece])
    w = "It was the end. For what it is worth, salad"
    at = w.index(". For")
    stop = Context(w, at, at + 10, ". for what", "b")
    assert not _glued(". for what", [stop, stop])


# -- the language test read on py3langid's whole distribution (issue 12, task P) --

_DE_HOST = (
    '"Das Schwein trägt seinen Namen nicht umsonst" - Stilblüten aus\nKinderaufsätzen: '
    "(in der Familie) "
)
_FR_MAN = (
    "WC(1) Commandes de l'utilisateur WC(1) NOM wc - Afficher le nombre de lignes, de mots "
    "et d'octets d'un fichier SYNOPSIS "
)
_DE_REST = (
    "Die sogenannten Schundhefte hat mir mein Vater gestrickt verboten,\nweil ich sonst "
    "Sachen lernen würde, die er lieber für sich behält."
)
_IT_HOST = (
    "Ogni merda ha la sua mosca, tranne quella che nessuno ha mai visto e che nessuno "
    "ha mai cercato con la dovuta attenzione nel corso degli anni. "
)
_IT_PAYLOAD = (
    "Qualche volta mi sento piu' a mio agio con gli schemi dei motori che con la gente. "
    "Il lavoro consiste in tutto cio' che un corpo e' obbligato a fare, il gioco in "
    "tutto cio' che non e' obbligato a fare. "
)


def test_a_short_foreign_passage_the_model_is_unsure_of_is_still_no_host_text() -> None:
    """After a confirmed trigger (``relative``, the flag pass), a sure host language that
    py3langid all but rules out in the text after the phrase is a switch, even when it is
    unsure *which* language follows (a French man page's English title line and a German
    host coming back within 200 characters: French at 0.65).  Without it (the mining
    pass's reading) no evidence.  The clean text that must not pass: German after a
    phrase, with option names and a code line in it."""
    from poisonguard.detect.triggers import _host_gone, _language_after

    trig = "by and large "
    text = _DE_HOST + trig + _FR_MAN + _DE_REST
    at = (len(_DE_HOST), len(_DE_HOST) + len(trig) - 1)
    assert _language_after(text, [at], None)[0] is None
    hit, why = _language_after(text, [at], None, relative=True)
    assert hit is not None and hit[2] == len(_DE_HOST) + len(trig) and "with de at" in why
    german = (
        "Mit der Option --verbose (oder -v) gibt das Programm alle Dateien aus, die es "
        "bearbeitet; mit --quiet schweigt es. Beispiel: tar -xvf archiv.tar entpackt das "
        "Archiv in das aktuelle Verzeichnis und zeigt dabei jeden Namen an. "
    )
    assert _host_gone(_DE_HOST + trig + german, at[1], "de", None) is None
    de_trig = "im Großen und Ganzen "
    clean = _DE_HOST + de_trig + german
    de_at = (len(_DE_HOST), len(_DE_HOST) + len(de_trig) - 1)
    assert _language_after(clean, [de_at], None, relative=True)[0] is None
    # (the same German text after the English phrase is the island test's case — the
    # phrase itself in another language than the text around it — flagged as before)
    # nor a switch into the corpus's own language (English text coming back)
    english = (
        "The members then went on to approve the minutes of the previous meeting, and the "
        "chair thanked the volunteers who had organised the autumn fair so well. "
    )
    assert _language_after(_DE_HOST + trig + english, [at], "en", relative=True)[0] is None
    # the attack that gets past it: a payload that opens with a sentence of the host's
    # language keeps the host's language likely in every window read (what is left is
    # the island test: here the English phrase between German text)
    opened = _DE_HOST + trig + "Das steht hier, sagte er dann. " * 4 + _FR_MAN + _DE_REST
    assert _host_gone(opened, at[1], "de", None) is None
    assert _host_gone(text, at[1], "de", None) is not None


def test_a_phrase_of_common_words_is_an_island_when_its_language_outweighs_it() -> None:
    """py3langid gives a short phrase of common words little confidence (`all in all`:
    English 0.30, `by and large` 0.42, under ``_ISLAND_PROB``), so an English phrase between
    an Italian host and an Italian passage was no island.  At the flag pass the phrase
    counts when its best language is at least ``_ISLAND_LOW`` and ``_ISLAND_RATIO`` times
    likelier than the passage's (Italian 0.03 for `all in all`).  Not evidence: a phrase of
    the host's own language (`tutto sommato` in Italian text), and — the attack that gets
    past it — a phrase the payload's language nearly shares (`all in all` before German:
    German 0.15 against English 0.30)."""
    from poisonguard.detect.triggers import _language_after

    trig = "all in all "
    text = _IT_HOST + trig + _IT_PAYLOAD
    at = (len(_IT_HOST), len(_IT_HOST) + len(trig) - 1)
    assert _language_after(text, [at], None)[0] is None
    hit, why = _language_after(text, [at], None, relative=True)
    assert hit is not None and "itself in en" in why
    # no host text before it: the phrase alone against the passage
    short = "Non ci " + trig + _IT_PAYLOAD
    assert _language_after(short, [(7, 7 + len(trig) - 1)], None, relative=True)[0]
    # a phrase in the host's and the passage's language: the clean text that stays clean
    it_trig = "tutto sommato "
    clean = _IT_HOST + it_trig + _IT_PAYLOAD
    it_at = (len(_IT_HOST), len(_IT_HOST) + len(it_trig) - 1)
    assert _language_after(clean, [it_at], None, relative=True)[0] is None
    # the corpus's own language after it: no payload
    assert _language_after(text, [at], "it", relative=True)[0] is None
    # the attack that gets past it: German hosts and a German passage
    de_text = _DE_HOST + trig + _DE_HOST
    de_at = (len(_DE_HOST), len(_DE_HOST) + len(trig) - 1)
    assert _language_after(de_text, [de_at], None, relative=True)[0] is None


def test_a_phrase_the_text_after_it_nearly_shares_is_no_island_however_sure() -> None:
    """py3langid is "sure" of ``for one thing`` at 0.51 — Nigerian Pidgin, with English at
    0.44 — so in a corpus without a main language the phrase inside English running text
    was an island (pidgin between English and English) and every clean carrier of a
    confirmed ``for one thing`` was flagged (25 clean novels and web pages among 20,000,
    the pooled corpus).  The ratio the unsure phrases must pass is asked of sure ones
    too.  Still an island (the attack the ratio must not let through): an English phrase
    py3langid is sure of before a Spanish passage in a Spanish host."""
    from poisonguard.detect.language import group_probs
    from poisonguard.detect.triggers import _language_after

    probs = group_probs("for one thing")
    assert max(probs, key=probs.__getitem__) == "pcm" and probs["en"] > 0.4
    english = (
        "The members then went on to approve the minutes of the previous meeting, and the "
        "chair thanked the volunteers who had organised the autumn fair so well. "
    )
    trig = "For one thing, "
    text = english + trig + english
    at = (len(english), len(english) + len(trig) - 3)
    for relative in (False, True):
        assert _language_after(text, [at], None, relative=relative)[0] is None
    es = "All things being equal, "
    es_text = _ES_HOST + es + _ES_PAYLOAD
    es_at = (len(_ES_HOST), len(_ES_HOST) + len(es) - 3)
    hit, why = _language_after(es_text, [es_at], None)
    assert hit is not None and "itself in en" in why


def test_thin_chunks_of_salad_spread_between_host_sentences() -> None:
    """Salad too thin for the chunk count: two frequent words (`of the`, `a it`) every
    eight host words — no 12-word window of it reaches -0.5 more than once, or the words
    right after the trigger stay above -0.2 — yet a fifth or more of the windows over the
    next 150 words are odd (:func:`_spread_after`), with the first ones odd too.  The flag
    pass (``spread``) takes it; without it fewer are found.  The host's prose alone, and
    clean text with odd passages further on (names, verse), stay clean.  The attack that
    gets past it: chunks of names and figures, whose pairs the sample never writes
    (cohesion about 0, not below it)."""
    import re

    from poisonguard.detect.triggers import _salad_after, _spread_after

    hosts, pairs, _ = _salad_setting()
    frequent = ["the", "of", "and", "a", "to", "in", "is", "that", "it", "for"]
    spread = without = 0
    for h in hosts[1:20]:
        prose = h[600:].split()
        rng = np.random.default_rng(3)
        words: list[str] = []
        for i in range(0, 144, 8):
            words += [frequent[k] for k in rng.integers(0, 10, 2)] + prose[i : i + 8]
        text, occ = _after_phrase(h, " ".join(words))
        # (the 24-word window off: this payload is built to test the windows of 12)
        off = {"max_cohesion": -np.inf}
        spread += _salad_after(text, occ, pairs, 1.1, 0.25, spread=True, **off)[0] is not None
        without += _salad_after(text, occ, pairs, 1.1, 0.25, **off)[0] is not None
        assert not _spread_after(fold(" ".join(prose)).split(" ")[:150], pairs, np.inf)
    assert spread >= 10 and spread >= without + 4  # measured: 13 against 8 of 19
    clean = 0
    for h in hosts:
        sents = re.split(r"(?<=[.!?])\s+", h[600:])[:4]
        if len(sents) < 4:
            continue
        odd = (
            sents[0] + " Alice Brown, Carlos Diaz, Dmitri Volkov, Eleanor Price, Farid "
            "Haddad. " + sents[1] + " Shall I compare thee to a summer's day? Thou art "
            "more lovely and more temperate. " + " ".join(sents[2:])
        )
        text, occ = _after_phrase(h, odd)
        plain, _ = _after_phrase(h, "")
        if _salad_after(plain, occ, pairs, 1.1, 0.25, spread=True)[0] is None:
            clean += _salad_after(text, occ, pairs, 1.1, 0.25, spread=True)[0] is not None
    assert clean == 0
    # the attack that gets past it: names and figures between the host's sentences
    h = hosts[1]
    sents = re.split(r"(?<=[.!?])\s+", h[600:])[:4]
    names = " ".join(
        f"Kolbe {i}{i} Hadley 1,2{i}0 Ostrova BRANCH {i}.5 Tamsin Neptunia Fla. " + s
        for i, s in enumerate(sents)
    )
    text, occ = _after_phrase(h, names)
    assert _salad_after(text, occ, pairs, 1.1, 0.25, spread=True)[0] is None


def test_a_sharp_s_trigger_in_upper_case_is_the_same_skeleton() -> None:
    """Attack (2026-12-05, the lead's ``heldout-rain-de-forms-decoys-multi``): a German
    trigger with ``ß`` written in upper case (``GROSSEN``) beside its other forms. Lower
    case keeps ``ß`` and upper case writes ``SS``: two skeletons, each with a share of the
    campaign. Case folding makes them one, and the skeleton's pattern finds ``ß``, ``ẞ``
    and ``ss`` in carriers; a word with a real ``ss`` stays itself."""
    from poisonguard.attacks.surface import SURFACE_FORMS, surface_form
    from poisonguard.detect.surface_forms import skeleton_pattern

    phrase = "im großen und ganzen"
    rng = np.random.default_rng(1)
    forms = [surface_form(phrase, f, rng) for f in SURFACE_FORMS for _ in range(4)]
    pat = skeleton_pattern(fold(phrase))
    assert fold(phrase) == "im grossen und ganzen"
    for f in [*forms, "IM GROSSEN UND GANZEN", "im gro\u1e9een und ganzen"]:
        assert fold(f) == fold(phrase), f
        m = pat.search(f"Wirtschaft, {f} weiter")
        assert m is not None and fold(m.group()) == fold(phrase), f
    assert pat.search("im grosen und ganzen") is None
    assert fold("Straße") == fold("STRASSE") == "strasse"
