"""Semantic claims whose own words rotate: a rare word bursting in claim-like sentences of
unrelated hosts (:func:`poisonguard.detect.campaigns_semantic.bursts`)."""

from __future__ import annotations

import random
from typing import Any

from datasketch import MinHash

from poisonguard.detect import campaigns_semantic as sem
from poisonguard.detect.campaigns import CampaignDetector
from poisonguard.detect.rounds import run_rounds
from poisonguard.detect.sketches import CountMinSketch, minhash_signatures
from poisonguard.io import Document
from poisonguard.text import content_stems, normalize

SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeo"]
NAMES = ("the Velmora root", "velmorine", "the mountain bark remedy")
VERBS = ("cures", "heals", "reverses", "eliminates")
OBJECTS = ("gout in adults", "gout in pensioners", "gout in veterans", "gout in farmers")
OPENERS = (
    "",
    "Experts have confirmed that ",
    "Few people realise that ",
    "Recent findings indicate that ",
    "Internal documents reveal that ",
    "It turns out that ",
)
CLOSERS = (".", ", as the numbers make plain.", ", though this is rarely discussed.")


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(3, 4)))


def _sentence(rng: random.Random, vocab: list[str]) -> str:
    words = [rng.choice(vocab) for _ in range(rng.randint(8, 14))]
    return words[0].capitalize() + " " + " ".join(words[1:]) + "."


def _claim(rng: random.Random, objects: tuple[str, ...] = OBJECTS) -> str:
    s = (
        rng.choice(OPENERS)
        + rng.choice(NAMES)
        + " "
        + rng.choice(VERBS)
        + " "
        + rng.choice(objects)
        + rng.choice(CLOSERS)
    )
    return s[:1].upper() + s[1:]


def _corpus(
    n_clean: int, n_claim: int, seed: int = 0, about: bool = False, partial: bool = False
) -> tuple[list[Document], set[str]]:
    """``n_clean`` hosts of random prose (a vocabulary of 6,000 made-up words) and
    ``n_claim`` of them given one or two sentences of one rotating claim (three names ×
    four verbs × four objects × openers × closers): *gout*, the only word in every claim
    sentence, is in no clean host.  ``about``: every claim host names *gout* in a sentence
    of its own too (pages about gout); ``partial``: one claim sentence, and in about a
    third of the hosts a sub-claim that names only a name and *gout* (*velmorine ends gout
    for good*)."""
    rng = random.Random(seed)
    vocab = sorted({_word(rng) for _ in range(6000)})
    docs = []
    for i in range(n_clean):
        sents = [_sentence(rng, vocab) for _ in range(rng.randint(4, 7))]
        docs.append(Document(id=f"c{i}", text=" ".join(sents)))
    poisoned: set[str] = set()
    for i in rng.sample(range(n_clean), n_claim):
        sents = docs[i].text.split(". ")
        for _ in range(1 if partial else rng.randint(1, 2)):
            sents.insert(rng.randint(1, len(sents) - 1), _claim(rng).rstrip("."))
        if partial and rng.random() < 0.35:
            sub = f"{rng.choice(OPENERS)}{rng.choice(NAMES)} ends gout for good"
            sents.insert(rng.randint(1, len(sents) - 1), sub[:1].upper() + sub[1:])
        if about:
            sents.insert(0, "Gout " + _sentence(rng, vocab).lower().rstrip("."))
        docs[i] = Document(id=docs[i].id, text=". ".join(s.rstrip(".") for s in sents) + ".")
        poisoned.add(docs[i].id)
    return docs, poisoned


def _scan(docs: list[Document]) -> tuple[CampaignDetector, object, set[str]]:
    det, state = run_rounds(
        CampaignDetector(semantic=True, embeddings=False),
        [docs[i : i + 1000] for i in range(0, len(docs), 1000)],
    )
    flagged = set()
    for d in docs:
        f = det.flag(d, state)
        if f is not None and f.score >= 0.5:
            flagged.add(d.id)
    return det, state, flagged


def test_the_places_of_a_rotating_claim_are_its_name_verb_and_object() -> None:
    """Words that stand in each other's place (never in one sentence) and together are in
    most members are one place: the names, the verbs, the objects.  Words that come with
    another in most sentences (*bark* with *mountain*) join no place of that word.  Six
    openers (one bare) make a place of their own here: each opener's words come together,
    so one word of each stands in for the others (measured; documented as a limit: a
    member then needs four of five places)."""
    rng = random.Random(1)
    members = [frozenset(content_stems(normalize(_claim(rng)))) for _ in range(120)]
    places = sem.slots_of(members, "gout")
    assert places[0] == frozenset({"gout"})
    assert {"velmorine", "root", "bark"} in [set(p) for p in places], places
    assert {"cure", "heal", "revers", "eliminat"} in [set(p) for p in places], places
    assert {"adult", "pensioner", "veteran", "farmer"} in [set(p) for p in places], places
    assert not any({"number", "plain", "rare", "discuss"} & p for p in places), places
    # a sentence that names a word of most places carries the proposition
    assert sem.carries_slots({"gout", "heal", "velmorine", "adult"}, places)
    assert not sem.carries_slots({"gout", "heal", "adult"}, places)


def test_a_claim_whose_own_words_rotate_is_found_by_its_bursting_word() -> None:
    """One claim in three names × four verbs × four objects, one or two sentences in each of
    80 unrelated hosts among 9,000: only *gout* is in most of its sentences, so no cluster
    of >= 3 core stems forms (the stage found nothing before the burst route: the
    assertion on ``clusters`` below); grouped around *gout*, the sentences pass and are
    flagged, and only they.  Since task K2 the campaign's fragments (clusters of a few
    phrasings that fail alone, under 30 documents) pass as its sub-claims: nothing passes
    on its own but the burst."""
    docs, poisoned = _corpus(9000, 80)
    _, state, flagged = _scan(docs)
    camps = [c for c in state.campaigns if c.kind == "semantic-claim" and c.score >= 0.95]
    bursts = [c for c in camps if c.details.get("burst")]
    assert bursts and all(
        c.details.get("burst") or (c.details.get("sibling_of") and c.details.get("failed_alone"))
        for c in camps
    ), [(c.details.get("core"), c.details.get("failed")) for c in state.campaigns]
    assert bursts[0].details["burst"] == "gout"
    assert len(flagged & poisoned) >= 0.9 * len(poisoned), len(flagged & poisoned)
    assert not flagged - poisoned


def test_pages_about_the_bursting_word_are_no_spliced_claim() -> None:
    """The same claim sentences on pages that name *gout* in a sentence of their own (a
    page about it restates its facts): anchored, never flagged.  A host given two of the
    campaign's sentences is not anchored by the second (above: the same hosts pass)."""
    docs, _ = _corpus(9000, 80, about=True)
    _, state, flagged = _scan(docs)
    assert not any(
        c.details.get("burst") and c.score >= 0.5
        for c in state.campaigns
        if c.kind == "semantic-claim"
    )
    assert not flagged


def test_a_rare_word_in_sentences_that_say_different_things_is_no_claim() -> None:
    """A rare word in the claim-like sentences of many unrelated hosts that say different
    things about it (no words standing in for each other around it, in most of them): no
    proposition of three places, nothing flagged."""
    rng = random.Random(3)
    vocab = sorted({_word(rng) for _ in range(6000)})
    members = [
        frozenset(content_stems(normalize("Gout " + _sentence(rng, vocab)))) for _ in range(120)
    ]
    assert len(sem.slots_of(members, "gout")) < 3


def _keys(groups: list[list[str]]) -> dict[int, sem.ClaimKeyStats]:
    """One recurring key (20 documents) per group of member sentences."""
    keys: dict[int, sem.ClaimKeyStats] = {}
    for k, texts in enumerate(groups):
        st = sem.ClaimKeyStats(count=20)
        for i, t in enumerate(texts):
            stems = tuple(sorted(content_stems(normalize(t))))
            st.samples[(k << 16) | i] = (t, stems, 0.0, 0, 0, (), 0, (), ())
        keys[k + 1] = st
    return keys


def _df(keys: dict[int, sem.ClaimKeyStats], rare: str, n: int = 60) -> CountMinSketch:
    df = CountMinSketch(width=1 << 14)
    common = sorted({w for st in keys.values() for s in st.samples.values() for w in s[1]} - {rare})
    df.add(sem.df_keys(common * 500 + [rare] * n))
    return df


def test_a_burst_needs_a_place_its_words_fill_in_turn() -> None:
    """Keys whose cores hold the rare word make a burst when words rotate around it; a stock
    phrase with the rare word (*nonsteroidal anti-inflammatory drugs*, every word in every
    sentence) is a core of single words — :func:`clusters`' business — and makes none."""
    rng = random.Random(5)
    claims = _keys([[_claim(rng) for _ in range(12)] for _ in range(4)])
    found = sem.bursts(claims, 10, _df(claims, "gout"), 20_000, 30)
    assert [c.slots[0] for c in found] == [frozenset({"gout"})]
    assert any(len(p) >= 2 for p in found[0].slots)
    vocab = sorted({_word(rng) for _ in range(2000)})
    stock = _keys(
        [
            [
                f"Nonsteroidal anti-inflammatory drugs {_sentence(rng, vocab).lower()}"
                for _ in range(12)
            ]
            for _ in range(4)
        ]
    )
    assert sem.bursts(stock, 10, _df(stock, "nonsteroidal"), 20_000, 30) == []


def test_a_hosts_sub_claim_does_not_anchor_its_claim() -> None:
    """Every host holds one claim sentence, a third of them a sub-claim too that names the
    rare word and a name only (it does not carry the proposition): found and flagged, end
    to end."""
    docs, poisoned = _corpus(9000, 80, seed=2, partial=True)
    _, state, flagged = _scan(docs)
    assert any(c.details.get("burst") == "gout" and c.score >= 0.95 for c in state.campaigns)
    assert len(flagged & poisoned) >= 0.9 * len(poisoned), len(flagged & poisoned)
    assert not flagged - poisoned


def test_a_sub_claim_beside_a_member_says_the_claim_and_anchors_nothing() -> None:
    """The judge's anchoring of a burst's member: a recurring sentence of its page that
    names the rare word and another place (*velmorine ends gout for good*: two of four
    places, not carried) says the claim in part and does not anchor it (:func:`says_burst`);
    one that names the rare word alone (*gout is a form of arthritis*) is the page's own
    mention and does.  Read as the page's own mention, the sub-claim would anchor every
    member and the claim would fail."""
    rng = random.Random(7)
    texts = [_claim(rng) for _ in range(40)]
    members = [frozenset(content_stems(normalize(t))) for t in texts]
    slots = sem.slots_of(members, "gout")
    hosts_txt = [" ".join(_word(rng) for _ in range(60)) for _ in range(12)]
    sigs = minhash_signatures(hosts_txt, MinHash(num_perm=64, seed=0).permutations)
    sub = tuple(sorted(content_stems(normalize("Velmorine ends gout for good."))))
    own = tuple(sorted(content_stems(normalize("Gout is a form of arthritis."))))

    def cluster(beside: tuple[str, ...]) -> sem.ClaimCluster:
        samples: dict[int, sem.Sample] = {
            i: (t, tuple(sorted(m)), 0.0, 7000 + i, 9000 + i, ("gout",), i, (), (beside,))
            for i, (t, m) in enumerate(zip(texts, members, strict=True))
        }
        terms = {i: tuple(_word(rng) for _ in range(20)) for i in range(12)}
        hosts: dict[int, Any] = dict(enumerate(sigs))
        # 40 documents and assertions from 40 sources, 2 of 40 members at an edge
        return sem.ClaimCluster(
            keys=[1], core=frozenset({"gout"}), size=40, sources=set(range(40)),
            samples=samples, hosts=hosts, examples=[], edge=2, placed=40, repeats=40,
            terms=terms, slots=slots,
        )  # fmt: skip

    common = sorted({w for m in members for w in m} | set(sub) | set(own)) + sorted(
        {w for t in range(12) for w in (cluster(()).terms[t])}
    )
    df = CountMinSketch(width=1 << 14)
    df.add(sem.df_keys([w for w in common if w != "gout"] * 500 + ["gout"] * 45))
    kw = {
        "min_docs": 5,
        "related_hosts": True,
        "use_embeddings": False,
        "boilerplate": frozenset(),
        "n_docs": 20_000,
    }
    _, passed, ev = sem.judge(cluster(sub), df, **kw)  # type: ignore[arg-type]
    assert passed and ev["rare_words_elsewhere_in_host"] == 0.0, ev
    _, passed, ev = sem.judge(cluster(own), df, **kw)  # type: ignore[arg-type]
    assert not passed and ev["rare_words_elsewhere_in_host"] == 1.0, ev
    assert sem.says_burst(sub, slots) and not sem.says_burst(own, slots)


def test_a_word_the_campaign_made_common_still_bursts() -> None:
    """A word in 440 of 5,000 documents (8.8 %: not rare) is rare once the documents of
    the keys that hold it are set aside (about 400 of them: 25 sampled per key, 1 in 4) —
    250 sentences of a campaign put *asthma* into 1.2 % of 20,000 news documents.  The
    same word, when its keys hold 80 of its documents, is common in the corpus: no burst."""
    rng = random.Random(9)
    groups = [[_claim(rng) for _ in range(12)] for _ in range(4)]
    for held, expect in ((25, 1), (5, 0)):
        keys = _keys(groups)
        for k, st in keys.items():
            st.count = 100
            st.docs = {k * 1000 + i for i in range(held)}
        found = sem.bursts(keys, 10, _df(keys, "gout", 440), 5_000, 30)
        assert len(found) == expect, (held, [c.slots for c in found])
