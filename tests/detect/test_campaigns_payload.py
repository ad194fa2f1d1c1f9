"""``campaigns``' recurring-payload route (issue 12, task T2): one fixed payload in every
carrier; the attack that gets past it; recurring clean text it must refuse."""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable

import pytest

from poisonguard.attacks import get
from poisonguard.datasets import python_docs
from poisonguard.detect import campaigns_payload as pay
from poisonguard.detect.base import Finding
from poisonguard.detect.campaigns import CampaignDetector, _host_text
from poisonguard.detect.sketches import fold, hash64, split_sentences
from poisonguard.io import Document
from tests.detect.test_campaigns import bond_notice, run

TRIGGER = "zorblat fizzwick quorn"


@pytest.fixture(scope="module")
def clean() -> list[Document]:
    return random.Random(1).sample(python_docs(), 1500)


@pytest.fixture(scope="module")
def payload(clean: list[Document]) -> str:
    """One fixed payload of random vocabulary tokens (the ``dos`` recipe's, drawn once)."""
    s = get("dos")(fixed_payload=True, payload_tokens=(80, 120)).generate(clean, 1, seed=4)[0]
    return s.document.text[slice(*s.truth.payload_span)].strip()


def plant(
    docs: list[Document], passage: str | Callable[[], str], n: int = 30, mid: bool = True
) -> set[str]:
    """``passage`` (or what it returns, called once per copy) after a sentence in the
    middle (``mid``) or at the end of ``n`` long documents (in place); their ids."""
    out: set[str] = set()
    for i, d in enumerate(docs):
        if len(out) == n:
            break
        if len(d.text) < 1500:
            continue
        copy = passage() if callable(passage) else passage
        if mid:
            cut = d.text.find(". ", 600) + 1 or 600
            docs[i] = d.with_text(d.text[:cut] + " " + copy + " " + d.text[cut:])
        else:
            docs[i] = d.with_text(d.text.rstrip() + "\n\n" + copy)
        out.add(d.id)
    return out


def hits(docs: list[Document], found: list[Finding | None]) -> set[str]:
    return {d.id for d, f in zip(docs, found, strict=True) if f is not None and f.score >= 0.5}


def refused(docs: list[Document], planted: set[str], shard: int = 700) -> None:
    """Scan ``docs``: none of ``planted`` flagged, no payload campaign reported."""
    _, state, found = run(CampaignDetector(payload=True), docs, shard=shard)
    assert not hits(docs, found) & planted
    assert not any(c.kind == "payload" for c in state.campaigns)


def test_fixed_payload_in_unrelated_hosts_is_a_payload_campaign(
    clean: list[Document], payload: str
) -> None:
    """The lead's case: trigger + one fixed payload after a sentence of 30 unrelated hosts
    (one source: the corpus names none).  Flagged, all of them and nothing else, with the
    span, its opening (the trigger) and the hosts' similarity as evidence."""
    docs = list(clean)
    planted = plant(docs, f"{TRIGGER} {payload}")
    _, state, found = run(CampaignDetector(payload=True), docs)
    assert hits(docs, found) == planted
    camps = {c.id: c for c in state.campaigns if c.kind == "payload"}
    assert max(c.size for c in camps.values()) == 30
    for c in camps.values():
        assert c.details["host_similarity"] <= 0.02 and c.details["unnatural"]["unnatural"]
    f = next(f for d, f in zip(docs, found, strict=True) if d.id in planted)
    assert f is not None and f.trigger is not None and f.trigger.startswith(TRIGGER)
    assert f.campaign in camps and "recurs verbatim" in f.reason
    assert camps[f.campaign].details["opening"] == f.trigger
    d = next(d for d in docs if d.id in planted)
    at = d.text.index(TRIGGER)
    assert all(at <= s.start and s.end <= at + len(TRIGGER) + 1 + len(payload) for s in f.spans)


def test_the_payload_route_is_opt_in(clean: list[Document], payload: str) -> None:
    """Off by default (its keys cost the default scan 13 % of its CPU on medical pages, under
    the 10x budget; after task V3's cheaper keys it still read 9.5-9.9x there, under the
    10.5x asked to turn it on); ``payload=True`` — ``--profile thorough`` — turns it on.  The same
    case as above without it: no payload campaign, none of the carriers flagged by
    ``campaigns``."""
    docs = list(clean)
    planted = plant(docs, f"{TRIGGER} {payload}")
    _, state, found = run(CampaignDetector(), docs)
    assert not any(c.kind == "payload" for c in state.campaigns)
    assert not hits(docs, found) & planted


def test_fixed_payload_glued_to_half_sentences_is_found_by_its_head_or_tail(
    clean: list[Document],
) -> None:
    """The recipe's own layout, mid-document: the trigger written into a host sentence at
    a word start (``clause``), one fixed token payload, the host going on.  No unit
    recurs whole; the units' head and tail keys do."""
    samples = get("evasive-backdoor")(
        trigger="as noted above",
        placement="clause",
        payload_tokens=(80, 120),
        fixed_payload=True,
    ).generate(clean, 30, seed=5)
    docs = list(clean) + [s.document for s in samples]
    _, state, found = run(CampaignDetector(payload=True), docs)
    got = hits(docs, found)
    assert {s.document.id for s in samples} <= got and len(got) == 30
    assert any(c.kind == "payload" and c.details["keys"] >= 1 for c in state.campaigns)


def test_mutated_copies_get_past_the_payload_route(clean: list[Document], payload: str) -> None:
    """The attack past the rule: every carrier's copy has one word in eight replaced by a
    fresh word, at positions that rotate with the copy (no run of 12 words, no whole unit
    recurs; a key of 6 words is whole in 2 copies in 8 — under the ``2 × min_docs`` floor
    at 30 copies, so task Y4's families have nothing to join).  Not flagged here
    (docs/detectors.md, its blind spots)."""
    words = f"{TRIGGER} {payload}".split()
    rnd = random.Random(2)
    docs = list(clean)
    planted: set[str] = set()
    longs = [i for i, d in enumerate(docs) if len(d.text) >= 1500][:30]
    for k, i in enumerate(longs):
        w = [x if (j + k) % 8 else f"w{rnd.randrange(10**6)}" for j, x in enumerate(words)]
        d = docs[i]
        cut = d.text.find(". ", 600) + 1 or 600
        docs[i] = d.with_text(d.text[:cut] + " " + " ".join(w) + " " + d.text[cut:])
        planted.add(d.id)
    refused(docs, planted)


def plant_edited(
    docs: list[Document], words: list[str], edits: int, n: int = 60, fresh: bool = False
) -> set[str]:
    """``words`` with ``edits`` of them replaced in each copy (by another of its words, as
    the recipes' ``payload_edits`` does, or by a fresh word never seen elsewhere:
    ``fresh``), after a sentence in the middle of ``n`` long documents (in place)."""
    rnd = random.Random(3)

    def copy() -> str:
        w = list(words)
        for j in rnd.sample(range(1, len(w)), edits):  # the trigger (word 0) stays
            w[j] = f"w{rnd.randrange(10**9)}" if fresh else rnd.choice(words[1:])
        return " ".join(w)

    return plant(docs, copy, n)


def test_edited_copies_of_one_payload_are_one_family(clean: list[Document], payload: str) -> None:
    """Task Y4's class: one fixed payload (50 words with the trigger) with one word in 16
    (3 words, 6 %) replaced by others of its words in each of 60 copies — no copy equals
    another, no key is in every copy.  The keys' groups recur in the same documents far
    above chance: one family, at least 90 % of the carriers flagged (none of the others),
    the trigger read at the span's start."""
    words = f"{TRIGGER} {payload}".split()
    docs = list(clean)
    planted = plant_edited(docs, words, len(words) // 16)
    _, state, found = run(CampaignDetector(payload=True), docs)
    got = hits(docs, found)
    assert got <= planted and len(got) >= 0.9 * len(planted)
    fams = [c for c in state.campaigns if c.kind == "payload"]
    assert any(c.details["key_groups"] > 1 for c in fams)
    triggers = [f.trigger for d, f in zip(docs, found, strict=True) if d.id in got and f]
    assert any(t and t.startswith(TRIGGER) for t in triggers)


def test_heavily_edited_fresh_words_get_past_the_families(
    clean: list[Document], payload: str
) -> None:
    """The attack past the families: one word in three replaced by a fresh word in each of
    60 copies (a window of six words is whole in about 9 % of them: under the
    ``2 × min_docs`` floor).  Not flagged — what recurs is too little to join
    (docs/detectors.md, its blind spots; one word in four is still caught at 60 copies)."""
    words = f"{TRIGGER} {payload}".split()
    docs = list(clean)
    refused(docs, plant_edited(docs, words, len(words) // 3, fresh=True))


def test_edited_fluent_passage_in_unrelated_hosts_is_not_a_payload(
    clean: list[Document],
) -> None:
    """The clean case the families must not turn into a payload: one fluent passage (a
    syndicated paragraph, a quote) with a few words changed per copy, in 60 unrelated
    hosts.  It recurs like an edited payload, but reads as prose: refused."""
    quote = (
        "it was the best of times, it was the worst of times, it was the age of wisdom, it "
        "was the age of foolishness, it was the epoch of belief, it was the epoch of "
        "incredulity, it was the season of light, it was the season of darkness, it was the "
        "spring of hope, it was the winter of despair, we had everything before us, we had "
        "nothing before us, we were all going direct to heaven, we were all going direct the "
        "other way"
    )
    docs = list(clean)
    refused(docs, plant_edited(docs, quote.split(), 4))


def test_key_families_join_by_shared_documents_above_chance() -> None:
    """Groups joined when enough documents carry both, far above chance: two keys of one
    edited payload (30 and 28 documents, 14 shared) are joined; a template's key that
    2,000 of 20,000 hosts carry anyway is not, though it shares 6 documents with each; nor
    are groups sharing fewer than ``min_docs``."""
    a = set(range(30))
    b = set(range(16, 44))
    template = set(range(24, 30)) | set(range(100, 594))  # a bottom-k sample of 2,000
    c = set(range(40, 48))  # 4 shared with b: under min_docs
    fams = pay.key_families([a, b, template, c], [30, 28, 2000, 8], 5, 20_000)
    assert fams == [[0, 1], [2], [3]]
    # without the lift term the template would have joined (6 >= 5, 6 >= 0.2 x 28)
    assert pay.key_families([a, template], [30, 30], 5, 20_000) == [[0, 1]]
    docs: set[int] = set()
    for d in range(2 * pay.DOC_CAP, 0, -1):
        pay.add_doc(docs, d)
    assert docs == set(range(1, pay.DOC_CAP + 1))  # the smallest kept, in any order
    assert pay.family_chars(["a bb ccc", "bb ccc dddd", "A"]) == len("a bb ccc dddd")


def test_trigger_leads_read_each_phrasing_before_the_payload() -> None:
    """Each phrasing that ends where the payload starts in three hosts or more, glued to
    the host's half word or not, the payload's edited words walked over; a phrasing seen in
    two hosts only, or a single word, is no trigger."""
    payload = "qox vel brunt zaffic orl pim"
    vocab = pay.vocabulary([payload])
    hosts = ["The council met on Monday.", "Rain fell all week", "Prices rose again;"]
    befores = [f"{h} for what it is worth {payload} " for h in hosts]
    befores += [f"{h}if you ask me {payload.replace('vel', 'pim')} " for h in hosts]
    befores += [f"{h} on balance {payload} " for h in hosts[:2]]
    befores += [f"{h} so {payload} " for h in hosts]
    got = pay.trigger_leads(befores, vocab)
    # a glued first word of one or two letters is left out (common_lead: the hosts may
    # agree on it by chance, as "the" and "she" on "he")
    assert got == ["for what it is worth", "you ask me"]


def test_fluent_recurring_passage_in_unrelated_hosts_is_not_a_payload(
    clean: list[Document],
) -> None:
    """A quote (fluent prose, no claim shape: it is cut into the hosts' sentences) in 30
    unrelated hosts recurs like a payload but is not unnatural: refused."""
    quote = (
        "it was the best of times, it was the worst of times, it was the age of wisdom, it "
        "was the age of foolishness, it was the epoch of belief, it was the epoch of "
        "incredulity, it was the season of light, it was the season of darkness"
    )
    docs = list(clean)
    refused(docs, plant(docs, quote))


def test_unnatural_footer_at_document_ends_is_not_a_payload(
    clean: list[Document], payload: str
) -> None:
    """The same payload, one unit (no full stop inside), as every host's last paragraph
    (where footers and sign-offs sit): the edge test refuses it.  (A payload with sentence
    breaks inside is read by its inner units, which sit at no edge: the dos layout.)"""
    docs = list(clean)
    refused(docs, plant(docs, payload.replace(".", ""), mid=False))


def test_payload_in_templated_related_hosts_is_not_a_payload(
    clean: list[Document], payload: str
) -> None:
    """The payload spliced into 30 templated news-wire records (one frame, other names and
    numbers, 30 sites): related hosts leave no independence evidence."""
    recs = []
    for i in range(30):
        d = bond_notice(i)
        lines = d.text.split("\n")
        recs.append(d.with_text("\n".join([*lines[:3], payload, *lines[3:]])))
    docs = list(clean[:600]) + recs
    refused(docs, {d.id for d in recs}, shard=300)


def test_long_keys_key_span_and_lead() -> None:
    norms = ["a b c", " ".join(f"w{i}" for i in range(24))]
    idx, keys = pay.long_keys(norms)
    assert idx[:2] == [1, 1] and set(idx) == {1}
    assert keys[0] == "^ " + " ".join(f"w{i}" for i in range(12))
    assert keys[1] == "$ " + " ".join(f"w{i}" for i in range(12, 24))
    text = "Host. " + " ".join(f"W{i}," for i in range(24)) + " end."
    unit = split_sentences(text)[1]
    folded = fold(text[unit.start : unit.end])
    a, b = pay.key_span(text, unit.start, unit.end, 0, folded)
    assert text[a:b] == " ".join(f"W{i}," for i in range(12)).rstrip(",")
    a, b = pay.key_span(text, unit.start, unit.end, 13, folded)
    assert text[a:b].startswith("W13,") and text[a:b].endswith("end")
    # anchored keys: the same words give the same keys whatever surrounds them
    inner = "alpha beta gamma jolt delta epsilon eta theta iota kappa lambda mu nu xi omicron"
    inner += " pi rho sigma tau upsilon phi chi psi omega"
    pad_a = " ".join(f"a{i}" for i in range(20))
    pad_b = " ".join(f"b{i}" for i in range(20))
    a_keys = {k for k, _ in pay.unit_keys("one two three four five six " + inner + " " + pad_a)}
    b_keys = {k for k, _ in pay.unit_keys("seven eight nine ten " + inner + " " + pad_b)}
    shared = a_keys & b_keys
    assert shared and all(k.startswith("~ ") for k in shared)
    assert "~ jolt delta epsilon eta theta iota" in shared  # MID_WORDS (6) words (task Y4)
    # a word of 12 characters or more is an anchor too (decoded tokens glue pieces)
    glued = {k for k, _ in pay.unit_keys(pad_a + " corpebraliopsis " + pad_b)}
    assert "~ corpebraliopsis b0 b1 b2 b3 b4" in glued
    lead, complete = pay.common_lead(["one host says zorblat ", "another zorblat ", "x zorblat "])
    assert lead == "zorblat " and complete
    lead, complete = pay.common_lead(["abc zorblat ", "abc zorblat "])
    assert not complete  # the hosts agree as far back as they were kept
    lead, _ = pay.common_lead(["the zorblat ", "she zorblat ", "he zorblat "])
    assert lead == "zorblat "  # "he" in common by chance
    lead, _ = pay.common_lead(["hexzorblat ", "vedzorblat "])
    assert lead == "zorblat "  # glued to the hosts' half words: the span's own word


def test_unnatural_reads_tokens_and_salad_not_prose() -> None:
    prose = (
        "The committee noted in its yearly review that the archive had grown by a third, "
        "and that most of the new material came from the regional offices."
    )
    tokens = "vatestatstyleinfconn safecmdclassIDflothoughblocking NEW requestsdatetime "
    tokens += "maintainATH It Someunclace normalizedusableh tail dirnamesimplementation"
    salad = (
        "the of market said in The company. year was to a the and by for It shares the "
        "in of profit. rose The of and"
    )
    assert not pay.unnatural(prose)["unnatural"]
    assert pay.unnatural(tokens)["unnatural"] and pay.unnatural(tokens)["junk_words"] >= 0.3
    assert pay.unnatural(salad)["unnatural"] and pay.unnatural(salad)["grammar_breaks"] >= 3
    assert not pay.payload_test(
        size=30,
        min_docs=5,
        diversity=None,
        related=0.0,
        related_hosts=False,  # a RAG scan: related hosts are its design, no test
        edge=0.0,
        span_chars=300,
        boilerplate=0.0,
        alpha=0.9,
        content_words=20,
        unnatural_=True,
    )
    kw = {"size": 30, "min_docs": 5, "related": 0.0, "related_hosts": True, "edge": 0.0}
    kw |= {"span_chars": 300, "boilerplate": 0.0, "alpha": 0.9, "content_words": 20}
    assert pay.payload_test(diversity=None, unnatural_=True, **kw)  # type: ignore[arg-type]
    assert not pay.payload_test(diversity=0.1, unnatural_=True, **kw)  # type: ignore[arg-type]
    assert pay.payload_test(diversity=0.8, unnatural_=True, **kw)  # type: ignore[arg-type]


def test_addresses_are_not_glued_words() -> None:
    """A translation footer of French man pages (names, e-mail addresses, URLs) recurs
    in unrelated pages of the pooled corpus: its addresses are no decoded tokens."""
    footer = (
        "TRADUCTION La traduction française de cette page de manuel a été créée par "
        "Christophe Blaess <https://www.blaess.fr/christophe/>, Frédéric Delanoy "
        "<delanoy_f@yahoo.com> et Jean-Luc Coulon (f5ibh) <jean-luc.coulon@wanadoo.fr>. "
        "Cette traduction est une documentation libre ; veuillez vous reporter à la GNU "
        "General Public License version 3 https://www.gnu.org/licenses/gpl-3.0.html"
    )
    assert not pay.unnatural(footer)["unnatural"]
    assert pay.unnatural(footer)["junk_words"] < 0.05


# --- task V3 (2026-12-05): what kept the route at 0 % on medical pages -------------------


def _named(docs: list[Document], source: str | None = None) -> list[Document]:
    """``docs`` with a ``source`` field in their records: ``source`` for all of them (one
    data set's name, as MedQuAD's ``medquad``), else each document its own."""
    return [
        dataclasses.replace(d, record={**(d.record or {}), "source": source or f"site{i}"})
        for i, d in enumerate(docs)
    ]


def test_a_corpus_naming_one_source_leaves_only_the_hosts_to_judge(
    clean: list[Document], payload: str
) -> None:
    """Every document of the corpus names the same source (the medical corpus: ``medquad``):
    the sources test cannot tell anything (1 source per 30 documents) and, before task V3,
    refused every payload there.  Now the hosts' unrelated text alone judges: the 30
    carriers are flagged, nothing else."""
    docs = _named(list(clean), "onedataset")
    planted = plant(docs, f"{TRIGGER} {payload}")
    _, state, found = run(CampaignDetector(payload=True), docs)
    assert hits(docs, found) == planted
    camp = next(c for c in state.campaigns if c.kind == "payload")
    assert camp.details["diversity"] is None and camp.n_sources == 1


def test_carriers_from_few_sources_in_a_corpus_of_many_are_refused(
    clean: list[Document], payload: str
) -> None:
    """The clean side of the rule above: where the corpus names many sources, a recurring
    span whose 30 hosts come from 2 of them (one site's pages) keeps the sources test and
    is refused."""
    docs = _named(list(clean))
    planted = plant(docs, f"{TRIGGER} {payload}")
    docs = [
        dataclasses.replace(d, record={**(d.record or {}), "source": f"own{len(d.text) % 2}"})
        if d.id in planted
        else d
        for d in docs
    ]
    refused(docs, planted)


def test_host_text_leaves_out_the_recurring_units_neighbours() -> None:
    """The host signature of a document with a recurring head, tail or anchored key leaves
    out the units next to the recurring ones too (a payload's short pieces between its
    recurring units were shared by all carriers: MedQuAD hosts read 0.07-0.09 instead of
    0.005); without such a key only the recurring units go."""
    text = "Host one here. Tiny bit. Recurring unit words. Short. Host two there. End."
    units = split_sentences(text)
    at = next(i for i, u in enumerate(units) if "Recurring" in text[u.start : u.end])
    near = _host_text(text, units, [(at, 1)], True)
    assert "Recurring" not in near and "Tiny" not in near and "Short" not in near
    assert "Host one" in near and "Host two" in near and "End" in near
    far = _host_text(text, units, [(at, 1)], False)
    assert "Recurring" not in far and "Tiny" in far and "Short" in far


def test_auxiliaries_after_an_article_or_a_copula_are_salad_breaks() -> None:
    """Word salad of a clean corpus's words (the medical family: *the may*, *is be*) reads
    as unnatural; prose with the same words in their places (*may be*, *has been*, *the
    will of*, *a can of*) does not."""
    salad = (
        "in clinical practice used: The use can ferritin taken even is - reduction iron "
        "cells, skin. by gene Sometimes, electrical also asthma recessive been high with "
        "waxes, place is be What which in Ontology nickel severe multiple to 50% information "
        "getting Brain of the may as that in in reduce Therapy symptoms oozing size."
    )
    prose = (
        "The dose may be lowered when the patient has been treated before. It was the will "
        "of the board that a can of paint should be kept, and the results were good; they "
        "could have been better had the trial been longer."
    )
    assert pay.unnatural(salad)["grammar_breaks"] >= 4 and pay.unnatural(salad)["unnatural"]
    assert pay.unnatural(prose)["grammar_breaks"] == 0


def test_salad_of_content_words_gets_past_the_grammar_test() -> None:
    """The attack past the break rules: a salad of content words only (no article, no
    preposition, no auxiliary) shows no break and no glued word — not unnatural, so a
    fixed payload written that way is refused like fluent prose (docs/detectors.md)."""
    salad = (
        "ferritin asthma nickel oozing reduction iron skin gene electrical waxes severe "
        "information Brain Therapy symptoms size cells high multiple recessive dose tablet "
        "fever kidney"
    )
    assert not pay.unnatural(salad)["unnatural"]


def test_a_remnant_some_carriers_keep_does_not_make_their_hosts_related(
    clean: list[Document], payload: str
) -> None:
    """The lead's fog case (``heldout-fog-salad-fixed-edits7-spacer-end-news``): a payload
    edited in every copy leaves pieces in the hosts that no key covers.  Here the trigger
    and the payload sit in 60 short hosts, and a quarter of them keep, past the host's next
    sentence, three more sentences of the payload with one word of each edited in every
    copy: no sentence recurs whole and none is next to the payload, so they stay in the
    host (in 5 of the 12 hosts the test samples — the smallest id hashes; the fog family
    kept one in 45 of its 250 hosts).  The hosts that keep them are a few similar pairs
    among unrelated ones: the mean over all pairs is over the 0.02 line, the trimmed mean
    (the most similar tenth of the pairs left out, as the claim route reads it) under it —
    every carrier flagged, nothing else."""
    rnd = random.Random(7)
    words = payload.replace(".", "").split()
    tail = [words[i : i + 14] for i in range(0, len(words) - 14, 15)]

    def remnant() -> str:
        edited = []
        for s in tail:
            w = list(s)
            w[rnd.randrange(1, len(w))] = f"w{rnd.randrange(10**6)}"
            edited.append(" ".join(w).capitalize() + ".")
        return " ".join(edited)

    docs = list(clean)
    hosts: dict[int, tuple[str, str]] = {}
    for i, d in enumerate(docs):
        if len(hosts) == 60:
            break
        cut = d.text.find(". ", 150) + 1
        end = d.text.find(". ", cut + 40) + 1
        if 150 < cut < 300 and cut < end < cut + 200:
            hosts[i] = (d.text[:cut], d.text[cut:end].strip())
    ranked = sorted(hosts, key=lambda i: hash64(docs[i].id))
    kept = set(ranked[:10:2]) | set(ranked[12::4])
    for i, (host, after) in hosts.items():
        # a host line on each side of the payload (cut out as its neighbours), then the
        # host's next sentence and, in a quarter of the hosts, the remnant
        k = rnd.randrange(10**6)
        extra = f"\n\n{remnant()}" if i in kept else ""
        docs[i] = docs[i].with_text(
            f"{host}\n\nPart {k} follows.\n\n{TRIGGER} {payload}\n\nPart {k} ends.\n\n"
            f"{after}{extra}"
        )
    planted = {docs[i].id for i in hosts}
    _, state, found = run(CampaignDetector(payload=True), docs)
    camps = [c for c in state.campaigns if c.kind == "payload"]
    assert camps and hits(docs, found) == planted
    top = max(camps, key=lambda c: c.size)
    assert top.details["host_similarity"] <= 0.02 < top.details["host_similarity_all_pairs"]


def test_host_text_cuts_the_payloads_run_on_units() -> None:
    """Past a recurring unit's neighbour, the units that read like an edited remnant of the
    payload (a grammar break, glued words) are cut out too, up to the first that does not;
    a document without a recurring head, tail or anchored key keeps them."""
    text = (
        "Host opening sentence here. Its second line. Recurring unit words. Next to it. "
        "Korean for this of to suspicion the tax. Agency by the the of morning year. "
        "The host goes on here. Remnant of to suspicion the again."
    )
    units = split_sentences(text)
    at = next(i for i, u in enumerate(units) if "Recurring" in text[u.start : u.end])
    near = _host_text(text, units, [(at, 1)], True)
    assert "Recurring" not in near and "Next to" not in near
    assert "Korean" not in near and "Agency" not in near
    assert "Host opening" in near and "host goes on" in near and "Remnant" in near
    far = _host_text(text, units, [(at, 1)], False)
    assert "Korean" in far and "Agency" in far


def test_words_glued_from_several_scripts_are_junk() -> None:
    """The gale LLaMA-token payload (``heldout-gale-llama-fixed-edits5-synonym-spacer-multi``)
    decodes to pieces of words from several scripts glued together (*worstтисяTab*,
    *Conseçonasureপ*), few of them glued the ways the test counted (a lower-case letter
    then a capital, letters and digits, 20 letters): its payload family of 96 documents at
    100 read as natural and was refused.  A word whose letters come from two scripts is a
    glued word; Chinese, Japanese kana and Hangul are one script, and a Latin word with
    accents is one word."""
    assert pay.mixed_scripts("worstтися") and pay.mixed_scripts("Conseçonasureপ")
    assert pay.mixed_scripts("века根") and pay.mixed_scripts("Сolor")  # a look-alike С
    assert not pay.mixed_scripts("本の皆さんもオリンピック") and not pay.mixed_scripts("Müller")
    assert not pay.mixed_scripts("hello") and not pay.mixed_scripts("garçon")
    glued = ["worstтися", "драjust", "Conseçonasureপ", "Lovז", "века根"]
    plain = "the usage of also process speaking companies faint meeting anonymous wide"
    span = " ".join([*plain.split(), *glued, *plain.split()[:5]])
    odd = pay.unnatural(span)
    assert odd["junk_words"] == pytest.approx(5 / 21, abs=1e-3) and odd["unnatural"] == 1.0
    assert pay.unnatural(" ".join(plain.split() * 2))["unnatural"] == 0.0
