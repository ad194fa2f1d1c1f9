"""Campaign detector: recurring claim families, near-duplicate clusters, boilerplate."""

from __future__ import annotations

import random
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from datasketch import MinHash

from poisonguard.attacks import get, mix_poison
from poisonguard.datasets import python_docs
from poisonguard.detect.base import Finding
from poisonguard.detect.campaigns import CampaignDetector, CampaignState, host_similarity
from poisonguard.detect.campaigns_base import CampaignRounds
from poisonguard.detect.campaigns_dups import NearDuplicateDetector
from poisonguard.detect.rounds import run_rounds
from poisonguard.detect.sketches import (
    CountMinSketch,
    minhash_signatures,
    source_key,
    split_sentences,
)
from poisonguard.io import CorpusReader, Document

CLAIM = {"entity": "the MMR vaccine", "claim": "causes autism in young children"}


def run(
    det: CampaignRounds,
    docs: Sequence[Document],
    shard: int = 700,
    order: list[int] | None = None,
) -> tuple[CampaignRounds, CampaignState, list[Finding | None]]:
    """Run every pass of ``det`` as the engine does: map shards → reduce → finalize."""
    shards = [docs[i : i + shard] for i in range(0, len(docs), shard)]
    if order is not None:
        shards = [shards[i] for i in order]
    det, state = run_rounds(det, shards)
    return det, state, [det.flag(d, state) for d in docs]


@pytest.fixture(scope="module")
def clean() -> list[Document]:
    docs = python_docs()
    rnd = random.Random(0)
    return rnd.sample(docs, 1500)


@pytest.fixture(scope="module")
def claim_run(clean: list[Document]):  # type: ignore[no-untyped-def]
    samples = get("targeted-claim")(n_sources=20, **CLAIM).generate(clean, 120, seed=3)
    pois = {id(s.document): s.truth for s in samples}
    docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(clean, samples, seed=0)]
    _, state, found = run(CampaignDetector(), docs)
    return docs, [pois.get(id(d)) for d in docs], state, found


def flagged(f: Finding | None) -> bool:
    return f is not None and f.score >= 0.5


def test_sentence_splitter_keeps_offsets_joins_wrapped_lines_and_abbreviations() -> None:
    text = (
        "STANDARD OIL TO FORM UNIT\n\nStandard Oil Co and BP North America\n"
        "Inc said they plan to form a venture, the U.S. company said. Mr. Smith agreed!\n"
        "- first item\n- second item\n Reuter"
    )
    units = split_sentences(text)
    got = [text[u.start : u.end] for u in units]
    assert got[0] == "STANDARD OIL TO FORM UNIT"
    assert got[1].startswith("Standard Oil Co and BP North America\nInc said")
    assert got[1].endswith("the U.S. company said.")
    assert got[2] == "Mr. Smith agreed!"
    assert got[3:] == ["- first item", "- second item", "Reuter"]
    assert units[1].norm.startswith("standard oil co and bp north america inc said")


def test_sentence_norms_are_those_of_split_sentences() -> None:
    from poisonguard.detect.sketches import sentence_norms

    texts = [d.text for d in python_docs()[:40]]
    texts += [
        "",
        "  \n ",
        "...\n!!",
        "a.\n\nb",
        "İstanbul. Ab. Cd ef gh ij kl.\n  - x\n",
        "Mr. X. went home today with all of them.\r\nYes! Ok . . .",
    ]
    for min_words in (1, 6):
        for text in texts:
            want = [u.norm for u in split_sentences(text) if u.norm.count(" ") + 1 >= min_words]
            assert sentence_norms(text, min_words) == want


def test_batched_signatures_equal_datasketch_minhash() -> None:
    """The vectorised signatures are datasketch's affine32 MinHash of the same shingles."""
    from datasketch import MinHash

    det = CampaignDetector()
    texts = [d.text for d in python_docs()[:60]]
    texts += [
        "",
        "too short",
        "word " * 40,
        "x" * 200,
        "Ünïcödé text, " * 30,
        " ".join(f"w{i}" for i in range(3000)),
    ]
    got = minhash_signatures(texts, det._perm)  # the public helper the detector uses
    assert [None if g is None else g.tolist() for g in det._signatures(texts)] == [
        None if g is None else g.tolist() for g in got
    ]
    for text, sig in zip(texts, got, strict=True):
        raw = np.frombuffer(text.lower().encode("utf-8", "surrogatepass"), dtype=np.uint8)
        starts = np.flatnonzero(raw[:-17] == 32) + 1 if raw.size >= 64 else []
        if len(starts) < 8:
            assert sig is None
            continue
        words8 = np.stack([raw[s : s + 16] for s in starts]).view(np.uint64)
        with np.errstate(over="ignore"):
            mixed = words8[:, 0] * np.uint64(0x9E3779B97F4A7C15) ^ words8[:, 1]
            mixed ^= mixed >> np.uint64(29)
            mixed *= np.uint64(0xBF58476D1CE4E5B9)
            mixed ^= mixed >> np.uint64(32)
        m = MinHash(
            num_perm=det.num_perm,
            seed=det.seed,
            hashfunc=int,
            permutations=det._perm,
            scheme="affine32",
        )
        m.update_batch((mixed & np.uint64(0xFFFFFFFF)).tolist())
        assert sig is not None and np.array_equal(sig, m.hashvalues)
        assert np.array_equal(det._signatures([text])[0], sig)


def test_count_min_sketch_never_underestimates_and_merges() -> None:
    rng = np.random.default_rng(0)
    keys = rng.integers(0, 2**63, size=5000, dtype=np.uint64)
    stream = np.concatenate([keys, keys[:100], keys[:10]])
    a, b = CountMinSketch(width=1 << 12, seed=1), CountMinSketch(width=1 << 12, seed=1)
    a.add(stream[:3000])
    b.add(stream[3000:])
    a.merge(b)
    est = a.estimate(keys[:200])
    true = np.array([1 + (i < 100) + (i < 10) for i in range(200)])
    assert (est >= true).all()
    with pytest.raises(ValueError):
        a.merge(CountMinSketch(width=1 << 12, seed=2))


def test_targeted_claim_campaign_found_with_evidence(claim_run) -> None:  # type: ignore[no-untyped-def]
    docs, truth, state, found = claim_run
    hits = [flagged(f) for f, t in zip(found, truth, strict=True) if t]
    assert sum(hits) / len(hits) >= 0.95
    false = [d.id for d, f, t in zip(docs, found, truth, strict=True) if flagged(f) and not t]
    assert len(false) <= 1, false
    top = state.campaigns[0]
    assert top.kind == "claim"
    assert "mmr vaccine causes autism in young children" in top.shared_span.lower()
    assert top.size >= 100 and top.score >= 0.9
    assert top.details["phrasings"] >= 6
    for doc, f, t in zip(docs, found, truth, strict=True):
        if t is None or f is None:
            continue
        # every evidence span lies inside the ground-truth payload (the claim paragraph)
        claim_spans = [s for s in f.spans if s.label == "claim"]
        assert claim_spans
        assert all(t.payload_span[0] <= s.start < s.end <= t.payload_span[1] for s in claim_spans)
        assert any("MMR vaccine" in s.text(doc.text) for s in claim_spans)
    assert any(f is not None and f.campaign == top.id for f in found)
    summary = CampaignDetector().summarize(state)
    assert summary.campaigns is not None and summary.campaigns[0]["id"] == top.id
    keys = {"id", "size", "sources", "shared_span", "kind", "examples"}
    assert keys <= summary.campaigns[0].keys()


def test_a_campaign_that_passes_the_campaign_test_makes_its_members_poisoned(claim_run) -> None:  # type: ignore[no-untyped-def]
    _, truth, state, found = claim_run
    passed = [c for c in state.campaigns if c.details.get("campaign_test")]
    assert passed and all(c.score >= 0.9 for c in passed)
    # every poisoned document whose finding points at a passing campaign is poisoned
    ids = {c.id for c in passed}
    members = [f for f, t in zip(found, truth, strict=True) if t and f and f.campaign in ids]
    assert len(members) >= 0.95 * sum(t is not None for t in truth)
    assert all(f.score >= 0.9 for f in members)
    # campaigns that fail it (related hosts, one source and one phrasing) are not raised
    det = CampaignDetector()
    assert not det.campaign_test(1.0, 200, 0.9, 8.0, 0.03)  # related hosts
    assert not det.campaign_test(1.0, 200, 0.1, 1.0, 0.0)  # one source, one phrasing
    assert not det.campaign_test(1.0, 9, 0.9, 8.0, 0.0)  # fewer than 2 k hosts
    assert not det.campaign_test(0.5, 200, 0.9, 8.0, 0.0)  # not claim-like
    assert not det.campaign_test(1.0, 200, 0.9, 8.0, None)  # independence not measured
    assert det.campaign_test(1.0, 200, 0.9, 1.0, 0.0) and det.campaign_test(1.0, 200, 0.1, 6, 0)
    rag = CampaignDetector(related_hosts=False)
    assert not rag.campaign_test(1.0, 200, 0.9, 8.0, 0.0)  # RAG: related by design


def test_shard_order_and_single_pass_mode_agree(clean: list[Document]) -> None:
    samples = get("targeted-claim")(n_sources=10, **CLAIM).generate(clean[:600], 60, seed=5)
    docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(clean[:600], samples, seed=1)]
    _, s1, f1 = run(CampaignDetector(), docs, shard=200)
    _, s2, f2 = run(CampaignDetector(), docs, shard=200, order=[3, 1, 0, 2])
    _, s3, f3 = run(CampaignDetector(passes=1), docs, shard=200)
    assert [c.id for c in s1.campaigns] == [c.id for c in s2.campaigns]
    assert [c.size for c in s1.campaigns] == [c.size for c in s3.campaigns]
    assert [flagged(f) for f in f1] == [flagged(f) for f in f2] == [flagged(f) for f in f3]


BOILERPLATE = [
    "We use cookies to improve your experience on our site. By continuing to browse you "
    "accept our use of cookies and our privacy policy.",
    "Copyright 2024 Example Media Group. All rights reserved.",
    "Subscribe to our newsletter to get the latest stories delivered to your inbox.",
    "This eBook is for the use of anyone anywhere at no cost and with almost no restrictions "
    "whatsoever.",
    "(Reuters) - Reporting by staff; editing by the desk.",
]


def test_boilerplate_at_document_edges_does_not_flood_findings(clean: list[Document]) -> None:
    rnd = random.Random(1)
    docs = []
    for i, d in enumerate(clean[:900]):
        notice = BOILERPLATE[i % len(BOILERPLATE)]
        text = (notice + "\n\n" + d.text) if rnd.random() < 0.5 else (d.text + "\n\n" + notice)
        docs.append(d.with_text(text))
    _, state, found = run(CampaignDetector(), docs, shard=300)
    assert sum(flagged(f) for f in found) == 0
    # the notices recur, and are reported as candidates with low scores at most
    assert all(c.score < 0.5 for c in state.campaigns)


def test_reference_corpus_discounts_known_recurring_sentences(clean: list[Document]) -> None:
    sentence = "Experts have confirmed that the new bridge design reduces traffic by half."

    def insert(text: str) -> str:
        head, sep, tail = text.partition("\n\n")
        return head + "\n\n" + sentence + "\n\n" + tail if sep else sentence + "\n\n" + text

    docs = [d.with_text(insert(d.text)) if i % 10 == 0 else d for i, d in enumerate(clean[:800])]
    ref = [Document(id=f"r{i}", text=f"Intro {i}.\n\n{sentence}\n\nOutro.") for i in range(3)]
    _, plain, _ = run(CampaignDetector(), docs, shard=400)
    _, with_ref, _ = run(CampaignDetector().use_reference(ref), docs, shard=400)
    assert any(sentence in c.shared_span for c in plain.campaigns)
    assert not any(sentence in c.shared_span for c in with_ref.campaigns)


def test_near_duplicate_cluster_reported_but_not_flagged(clean: list[Document]) -> None:
    base = max(clean[:300], key=lambda d: len(d.text))
    dups = [
        Document(
            id=f"mirror-{i}",
            text=base.text + f"\n\nMirror {i}.",
            metadata={"url": f"https://mirror{i}.example.org/page"},
        )
        for i in range(12)
    ]
    docs = list(clean[:500]) + dups
    _, state, found = run(NearDuplicateDetector(), docs, shard=250)
    clusters = [c for c in state.campaigns if c.kind == "near-duplicate"]
    assert any(c.size >= 12 for c in clusters)
    assert not any(flagged(f) for f in found)


def test_source_key_prefers_url_host_then_record_source() -> None:
    assert (
        source_key(Document(id="a", text="x", metadata={"url": "https://www.ex.com/p"})) == "ex.com"
    )
    assert (
        source_key(
            Document(
                id="b",
                text="x",
                record={"source": "reuters21578"},
                source="file:///c/news.jsonl#L3",
            )
        )
        == "reuters21578"
    )
    assert source_key(Document(id="c", text="x", source="file:///c/news.jsonl#L3")) == "news.jsonl"


def test_bad_parameters_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="passes"):
        CampaignDetector(passes=3)
    with pytest.raises(ValueError, match="min_docs"):
        CampaignDetector(min_docs=1)
    det = CampaignDetector()
    with pytest.raises(ValueError):
        det.next_pass(CampaignState(stage=2))


def test_odd_but_clean_texts_are_not_campaigns(shared_corpora: Path) -> None:
    """Multilingual man pages/fortunes (tables, option lists, code, non-English) + news."""
    multi = [
        d
        for d, _ in zip(
            CorpusReader(str(shared_corpora / "multilingual.jsonl.gz")), range(1200), strict=False
        )
        if isinstance(d, Document)
    ]
    news = [
        d
        for d, _ in zip(
            CorpusReader(str(shared_corpora / "news.jsonl.gz")), range(1200), strict=False
        )
        if isinstance(d, Document)
    ]
    docs = multi + news
    _, _, found = run(CampaignDetector(), docs, shard=1000)
    assert sum(flagged(f) for f in found) <= 3  # <= 0.05 %


def test_claim_campaign_in_real_news_without_fake_domains(shared_corpora: Path) -> None:
    news = [
        d
        for d, _ in zip(
            CorpusReader(str(shared_corpora / "news.jsonl.gz")), range(2500), strict=False
        )
        if isinstance(d, Document)
    ]
    samples = get("targeted-claim")(n_sources=0, **CLAIM).generate(news, 100, seed=2)
    pois = {id(s.document) for s in samples}
    docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(news, samples, seed=0)]
    _, _, found = run(CampaignDetector(), docs, shard=1000)
    truth = [id(d) in pois for d in docs]
    tp = sum(flagged(f) for f, t in zip(found, truth, strict=True) if t)
    fp = sum(flagged(f) for f, t in zip(found, truth, strict=True) if not t)
    assert tp >= 90 and fp <= 4


def test_related_hosts_take_away_the_independence_evidence() -> None:
    det = CampaignDetector()
    free = det.campaign_score(1.0, 40, 0.5, 1.0)
    assert free >= 0.5  # many sources, one claim: suspicious without host evidence
    assert det.campaign_score(1.0, 40, 0.5, 1.0, related=0.01) == free  # unrelated hosts
    assert det.campaign_score(1.0, 40, 0.5, 1.0, related=0.12) < 0.5  # templated hosts
    a = np.arange(64, dtype=np.uint64)
    assert host_similarity([a, a.copy()]) == 1.0
    assert host_similarity([a, a + 1000]) == 0.0
    assert host_similarity([a]) is None


def test_templated_records_with_a_recurring_sentence_from_many_sources_are_not_a_campaign(
    clean: list[Document],
) -> None:
    """News-wire style notices: one template, many 'sources', the same closing sentence —
    the hosts share their template, so the sentence is not a claim asserted independently."""
    rnd = random.Random(3)
    notice = (
        "{co} said it will issue {n} mln dlrs of {y}-year notes priced at {p} to yield {r} "
        "pct, via a syndicate led by {bank}. The notes are non-callable for {c} years and "
        "interest is payable semi-annually. {co} said proceeds will be used for general "
        "corporate purposes, including the refinancing of existing debt. "
        "The selling concession is one and a quarter percent while management and "
        "underwriting combined pay five eighths of a percent."
    )
    cos = ["Acme Corp", "Globex Inc", "Initech", "Umbrella Ltd", "Stark Industries", "Wayne Co"]
    banks = ["First Boston", "Morgan Guaranty", "Salomon Brothers", "Nomura International"]
    docs = list(clean[:600])
    for i in range(40):
        text = notice.format(
            co=rnd.choice(cos),
            n=rnd.choice([50, 75, 100, 150]),
            y=rnd.choice([5, 7, 10]),
            p=rnd.choice(["99.5", "100.25", "101"]),
            r=rnd.choice(["8.1", "8.4", "9.0"]),
            bank=rnd.choice(banks),
            c=rnd.choice([3, 5]),
        )
        docs.append(
            Document(
                id=f"wire-{i}", text=text, metadata={"url": f"https://wire{i % 8}.example/n{i}"}
            )
        )
    _, state, found = run(CampaignDetector(), docs, shard=320)
    wire = [c for c in state.campaigns if c.kind == "claim" and c.examples[0].startswith("wire-")]
    assert wire and all(c.score < 0.5 for c in wire)
    assert all(c.n_sources == 8 and c.details["host_similarity"] >= 0.05 for c in wire)
    assert not any(flagged(f) for f in found)


def test_rag_scans_do_not_discount_related_hosts() -> None:
    from poisonguard.detect.registry import DetectorContext

    pre = CampaignDetector.from_context(DetectorContext(kind="pretrain"))
    rag = CampaignDetector.from_context(DetectorContext(kind="rag"))
    assert pre.related_hosts and not rag.related_hosts
    assert rag.campaign_score(1.0, 40, 0.5, 1.0, related=0.3) >= 0.5
    assert pre.campaign_score(1.0, 40, 0.5, 1.0, related=0.3) < 0.5
    assert not rag.next_pass(
        CampaignState(stage=1, prefilter={"sentences": CountMinSketch()})
    ).related_hosts


BOND_HEAD = (
    "{issuer} IS ISSUING {amount} MLN DLR EUROBOND\n\n"
    "LONDON, March {day} - {issuer} is issuing a {amount} mln dlr eurobond due {year} "
    "paying {coupon} pct and priced at {price} pct, lead manager {lead} said."
)
BOND_BODY = [
    "The non-callable bond is available in denominations of 5,000 dlrs and will be listed "
    "in Luxembourg.",
    "The selling concession is 1-1/4 pct while management and underwriting combined pays 5/8 pct.",
    "The payment date is April {pay} and the issue is guaranteed by {guarantor}.",
    "There will be a co-lead management group of {co} banks.",
    "The bonds are sold in bearer form and interest is paid annually.",
    "Fees total 1-7/8 pct and the issue is priced to yield {yld} pct.",
    "{issuer} last tapped the eurobond market in {last}, {lead} said.",
]
ISSUERS = [
    ("Toyota Motor Credit", "Nomura International", "Toyota Motor Corp"),
    ("Electricite de France", "Banque Paribas", "the Republic of France"),
    ("Ford Motor Credit", "Morgan Guaranty Ltd", "Ford Motor Co"),
    ("Kingdom of Denmark", "Deutsche Bank Capital Markets", "the Kingdom of Denmark"),
    ("Sears Overseas Finance", "Salomon Brothers International", "Sears Roebuck and Co"),
    ("Mitsubishi Corp Finance", "Yamaichi International", "Mitsubishi Corp"),
]


def bond_notice(i: int) -> Document:
    """A templated news-wire record: one frame, other names and numbers, and its sentences
    in another order (so the recurring sentence has other neighbours in each record)."""
    issuer, lead, guarantor = ISSUERS[i % len(ISSUERS)]
    body = random.Random(i).sample(BOND_BODY, len(BOND_BODY))
    text = "\n".join([BOND_HEAD, *body, "Reuter"]).format(
        issuer=issuer,
        amount=50 + 25 * (i % 7),
        day=1 + i % 28,
        year=1990 + i % 9,
        coupon=7 + i % 4,
        price=100 + i % 3,
        lead=lead,
        pay=2 + i % 25,
        guarantor=guarantor,
        co=3 + i % 5,
        yld=f"{7 + i % 4}.{i % 10}",
        last=1980 + i % 6,
    )
    return Document(id=f"bond-{i}", text=text, metadata={"url": f"https://wire{i}.example/n"})


SPLICED = (
    "The selling concession is 1-1/4 pct while management and underwriting combined pays 5/8 pct."
)


def splice(doc: Document, sentence: str, i: int) -> Document:
    """``sentence`` as its own paragraph in the middle of ``doc``, under a host of its own."""
    paras = doc.text.split("\n\n")
    mid = max(1, len(paras) // 2)
    text = "\n\n".join([*paras[:mid], sentence, *paras[mid:]])
    return Document(id=f"spliced-{i}", text=text, metadata={"url": f"https://site{i}.example/p"})


def test_templated_sentence_in_related_documents_is_not_flagged(clean: list[Document]) -> None:
    """A sentence recurring in 30 templated records from 30 sites is boilerplate of the
    template: its hosts share much of their text besides it."""
    docs = list(clean[:600]) + [bond_notice(i) for i in range(30)]
    _, state, found = run(CampaignDetector(), docs, shard=300)
    assert not any(flagged(f) for f in found)
    camp = next(c for c in state.campaigns if c.kind == "claim" and "selling" in c.shared_span)
    assert camp.size >= 30 and camp.n_sources >= 30  # recurrence and sources alone ...
    assert camp.details["host_similarity"] >= 0.05  # ... but related hosts
    assert camp.score < 0.5


def test_same_sentence_spliced_into_unrelated_documents_is_flagged(
    clean: list[Document],
) -> None:
    """The very sentence of the templated records, spliced into 30 unrelated documents from
    30 sites: its hosts share nothing else, so many sources are independent evidence."""
    hosts = [d for d in clean[600:] if d.text.count("\n\n") >= 2][:30]
    docs = list(clean[:600]) + [splice(d, SPLICED, i) for i, d in enumerate(hosts)]
    _, state, found = run(CampaignDetector(), docs, shard=300)
    spliced = [f for d, f in zip(docs, found, strict=True) if d.id.startswith("spliced-")]
    assert len(spliced) == 30 and all(flagged(f) for f in spliced)
    assert sum(flagged(f) for f in found) == 30
    camp = next(c for c in state.campaigns if c.kind == "claim" and "selling" in c.shared_span)
    assert camp.details["host_similarity"] < 0.02 and camp.score >= 0.5


def test_related_hosts_leave_no_independence_evidence() -> None:
    det = CampaignDetector()
    independent = det.campaign_score(1.0, 200, 1.0, 1.0, related=0.0)
    assert independent >= 0.9
    assert det.campaign_score(1.0, 200, 1.0, 1.0, related=None) == independent
    assert det.campaign_score(1.0, 200, 1.0, 12.0, related=0.1) <= 0.4  # families too
    assert det.campaign_score(1.0, 200, 1.0, 1.0, related=0.1) < 0.5


def test_file_names_are_not_independent_sources(clean: list[Document]) -> None:
    """Shards of one dump (part0 ... part7) are one source: a sentence recurring in
    documents known only by their file is not asserted by independent sources."""
    sentence = "Experts have confirmed that the Zanfield bridge reduces traffic by half."
    docs = list(clean[:600])
    for i, d in enumerate(clean[600:630]):
        docs.append(
            Document(
                id=f"shard-{i}",
                text=splice(d, sentence, i).text,
                source=f"file:///data/part{i}.jsonl.zst#L1",
            )
        )
    assert source_key(docs[-1]) == "part29.jsonl.zst"
    assert source_key(docs[-1], file_fallback=False) == ""
    _, state, found = run(CampaignDetector(), docs, shard=300)
    camp = next(c for c in state.campaigns if "zanfield" in c.shared_span.lower())
    assert camp.n_sources == 1 and camp.score < 0.5
    assert not any(flagged(f) for f in found)


def test_real_news_wire_templates_are_not_campaigns(shared_corpora: Path) -> None:
    """The whole news corpus: Reuters bond notices repeat their selling-concession and
    listing sentences across dozens of otherwise similar records; none is flagged."""
    news = [
        d for d in CorpusReader(str(shared_corpora / "news.jsonl.gz")) if isinstance(d, Document)
    ]
    # as the scan pipeline sees them (no raw record: the file is their only provenance)
    docs = [Document(id=d.id, text=d.text, source=d.source, metadata=d.metadata) for d in news]
    _, state, found = run(CampaignDetector(), docs, shard=2000)
    assert sum(flagged(f) for f in found) == 0
    bonds = [c for c in state.campaigns if c.kind == "claim" and "selling" in c.shared_span]
    assert bonds and all(c.score < 0.5 for c in bonds)
    assert max(c.details["host_similarity"] or 0.0 for c in bonds) >= 0.05


def test_semantic_sketches_group_paraphrases_not_unrelated_sentences() -> None:
    """Order-free content-word sketches: two phrasings of one claim share LSH keys, an
    unrelated sentence with the same function words does not; keys are stable."""
    from poisonguard.detect import campaigns_semantic as sem
    from poisonguard.text import content_stems, normalize

    a = "Experts have confirmed that Shingrix causes permanent hearing loss in adults."
    b = "Few people realise that the zoster vaccine leads to permanent hearing loss in adults."
    c = "Experts have confirmed that the new bridge will open to traffic in early spring."
    sets = [sorted(content_stems(normalize(t))) for t in (a, b, c)]
    assert {"hear", "loss", "permanent", "adult"} <= set(sets[0]) & set(sets[1])
    assert "that" not in sets[0] and "have" not in sets[0]
    perm = sem.permutations(0)
    keys = sem.sketch_keys(sets, perm)
    assert keys.shape == (3, sem.BANDS)
    assert np.array_equal(keys, sem.sketch_keys(sets, sem.permutations(0)))
    shared_ab = len(set(keys[0].tolist()) & set(keys[1].tolist()))
    shared_ac = len(set(keys[0].tolist()) & set(keys[2].tolist()))
    assert shared_ab > shared_ac
    # many paraphrases drawn from a combinatorial space: each shares a key with many others
    space = get("paraphrase-claim")(
        entity="the shingles vaccine", claim="causes permanent hearing loss in adults"
    ).space
    rng = np.random.default_rng(0)
    para = [sorted(content_stems(normalize(space.sentence(rng)))) for _ in range(200)]
    k = sem.sketch_keys(para, perm)
    from collections import Counter

    counts = Counter(x for row in k.tolist() for x in set(row))
    covered = sum(any(counts[x] >= 10 for x in row) for row in k.tolist())
    assert covered >= 0.9 * len(para)


def test_count_round_keeps_key_channels_apart(clean: list[Document]) -> None:
    """The semantic stage's keys (16 sketch keys per claim-like sentence, every stem's
    document frequency) go to their own sketches: the exact-sentence sketch — what admits
    a sentence to the exact round — is the one of the default detector, key for key."""
    from poisonguard.detect.campaigns_base import CountRound, ExactRound

    docs = clean[:400]
    counts = {}
    for semantic in (False, True):
        det = CampaignDetector(semantic=semantic)
        assert isinstance(det.round, CountRound)
        state = det.finalize(det.reduce([det.map_shard(docs[:200]), det.map_shard(docs[200:])]))
        assert state.prefilter is not None
        counts[semantic] = state.prefilter
        nxt = det.next_pass(state)
        assert isinstance(nxt.round, ExactRound) and nxt.round.sketches is state.prefilter
    assert set(counts[False]) == {"sentences"}
    assert set(counts[True]) == {"sentences", "claims", "stems"}
    assert counts[True]["claims"].total > counts[True]["sentences"].total > 0
    assert np.array_equal(counts[False]["sentences"].table, counts[True]["sentences"].table)


def _claim_cluster(nexts: list[int], elsewhere: tuple[str, ...] = ()):  # type: ignore[no-untyped-def]
    """A cluster of 24 rotating phrasings of one claim about a rare entity, in unrelated
    hosts; ``nexts``: the frame hash of the unit after each member; ``elsewhere``: the
    member stems each host names in another sentence too."""
    from poisonguard.detect import campaigns_semantic as sem
    from poisonguard.text import content_stems, normalize

    openers = ["Experts confirm", "Reports show", "Few realise", "Studies found", "It is clear"]
    verbs = ["halves", "cuts", "reduces", "lowers", "slashes"]
    closers = ["", " downtown", " at rush hour", " every weekday", " for commuters"]
    samples = {}
    for i in range(24):
        text = (
            f"{openers[i % 5]} that the Zanfield bridge {verbs[(i // 5) % 5]} city traffic"
            f"{closers[(i * 3) % 5]} by {['half', 'a third'][i % 2]}."
        )
        stems = tuple(sorted(content_stems(normalize(text))))
        samples[1000 + i] = (text, stems, 0.0, 7000 + i, nexts[i], elsewhere)
    hosts_txt = [" ".join(f"w{j}x{i}" for j in range(60)) for i in range(12)]
    perm = MinHash(num_perm=64, seed=0).permutations
    sigs = minhash_signatures(hosts_txt, perm)
    core = sem._core([s[1] for s in samples.values()], 0.5)
    cl = sem.ClaimCluster(
        keys=[1],
        core=core,
        size=60,
        sources=set(range(60)),
        samples=samples,
        hosts=dict(enumerate(sigs)),
        examples=[],
        edge=2,
        placed=24,
        repeats=60,
    )
    df = CountMinSketch(width=1 << 12)  # the entity is rare, every other stem common
    common = sorted({w for s in samples.values() for w in s[1]} - {"zanfield"})
    df.add(sem.df_keys(["zanfield"] * 70 + common * 5000))
    return cl, df


def test_a_templated_sentence_glued_to_the_same_neighbour_is_not_a_campaign() -> None:
    """One claim in rotating wording across unrelated hosts passes the semantic campaign
    test; the same members followed by one and the same sentence frame in most hosts (a
    templated paragraph with a slot, e.g. MedQuAD's NINDS research paragraph) do not."""
    from poisonguard.detect import campaigns_semantic as sem
    from poisonguard.detect.campaigns import BOILERPLATE_WORDS

    kw = {
        "min_docs": 5,
        "related_hosts": True,
        "use_embeddings": False,
        "boilerplate": BOILERPLATE_WORDS,
    }
    spliced, df = _claim_cluster([9000 + i for i in range(24)])
    score, passed, ev = sem.judge(spliced, df, **kw)
    assert passed and score >= 0.95, ev
    assert ev["neighbour_share"] < 0.1 and "zanfield" in ev["entity"]
    glued, df = _claim_cluster([4242 if i % 4 else 9000 + i for i in range(24)])
    score, passed, ev = sem.judge(glued, df, **kw)
    assert not passed and score < 0.5
    assert ev["neighbour_share"] >= 0.7


def _judge_kw() -> dict[str, object]:
    from poisonguard.detect.campaigns import BOILERPLATE_WORDS

    return {
        "min_docs": 5,
        "related_hosts": True,
        "use_embeddings": False,
        "boilerplate": BOILERPLATE_WORDS,
    }


def test_a_fact_restated_in_pages_about_its_entity_is_not_a_spliced_claim() -> None:
    """A Q&A site restates a rare entity's facts on every page about it ("What causes
    Zanfield ...?" ... "Zanfield ..."): the entity is named elsewhere in each host.  The same
    members whose hosts name the entity only in the claim sentence pass."""
    from poisonguard.detect import campaigns_semantic as sem

    spliced, df = _claim_cluster([9000 + i for i in range(24)])
    _, passed, ev = sem.judge(spliced, df, n_docs=10_000, **_judge_kw())  # type: ignore[arg-type]
    assert passed and ev["rare_words_elsewhere_in_host"] == 0.0, ev
    assert "zanfield" in ev["entity"] and ev["claim_documents"] == 60
    # the same members, each on a page that names Zanfield in another sentence too
    pages, df = _claim_cluster([9000 + i for i in range(24)], elsewhere=("zanfield",))
    score, passed, ev = sem.judge(pages, df, n_docs=10_000, **_judge_kw())  # type: ignore[arg-type]
    assert not passed and score < 0.5
    assert ev["rare_words_elsewhere_in_host"] == 1.0


def test_hosts_about_one_topic_are_told_from_hosts_drawn_at_random() -> None:
    """The topic test of the hosts: 20 hosts that all name a term of corpus rate 2 % (pages
    about one thing) are topical; 20 hosts whose terms occur at their corpus rates are not,
    and a term of the claim itself (in every member) is expected in every host."""
    from poisonguard.detect import campaigns_semantic as sem

    rng = np.random.default_rng(0)
    vocab = [f"term{i}" for i in range(400)]
    df = CountMinSketch(width=1 << 14)
    n_docs = 10_000
    rates = {w: 0.02 + 0.2 * (i % 5 == 0) for i, w in enumerate(vocab)}
    df.add(sem.df_keys([w for w in vocab for _ in range(int(rates[w] * n_docs))]))
    df.add(sem.df_keys(["claimword"] * 30))
    random_hosts = [
        (*tuple(w for w in vocab if rng.random() < rates[w]), "claimword") for _ in range(20)
    ]
    p, _ = sem.topical_hosts(random_hosts, df, n_docs, {"claimword": 1.0})
    assert p > sem.TOPIC_ALPHA
    topical = [(*h, "term1") for h in random_hosts]
    p, terms = sem.topical_hosts(topical, df, n_docs, {"claimword": 1.0})
    assert p < 1e-6 and terms[0][0] == "term1" and terms[0][1] == 20
    # without knowing that every member names it, the claim's own word would look topical
    p, terms = sem.topical_hosts(random_hosts, df, n_docs)
    assert p < sem.TOPIC_ALPHA and terms[0][0] == "claimword"


def test_semantic_clusters_cannot_chain_into_a_coreless_union() -> None:
    """Keys whose cores overlap pairwise along a chain (each shares a sampled sentence and
    4 of 6 stems with the next) but share nothing end to end: pairwise union-find joined
    them into one cluster without a core (at 20,000 medical documents such a chain swallowed
    a 250-document campaign); joins that keep a core cannot."""
    from poisonguard.detect import campaigns_semantic as sem

    stems = [f"stem{i}" for i in range(40)]
    keys: dict[int, sem.ClaimKeyStats] = {}
    for k in range(30):
        st = sem.ClaimKeyStats(count=20)
        words = tuple(sorted(stems[k : k + 5]))
        for j in range(6):
            # the first sample is shared with the previous key, the others are its own
            h = (k << 8) | j if j else ((k - 1) << 8 | 99 if k else 99)
            st.samples[h] = (f"s{k}-{j}", words, 0.0, 0, 0, ())
        st.samples[(k << 8) | 99] = (f"s{k}-x", words, 0.0, 0, 0, ())
        keys[k] = st
    found = sem.clusters(keys, 10)
    assert all(len(c.core) >= 3 for c in found)
    assert max(len(c.keys) for c in found) < 30
    assert all(
        c.core <= set.union(*(set(keys[k].samples[next(iter(keys[k].samples))][1]) for k in c.keys))
        for c in found
    )


def test_a_join_cannot_shrink_a_claims_core_to_its_entitys_name() -> None:
    """Task F4 (2026-12-05): an entity named by three content words (*Kestrel Line
    ferries*) is a core of its own.  A key whose band falls on the name samples background
    sentences that name it (core: the name), a key of sentences that name it and one
    predicate word bridges it to the claim's key (core: the name and six predicate words).
    Joining them all left the name and one word as the core — the claim's predicate lost,
    its cluster mostly background.  A join must keep half of each group's core: the claim
    stays a cluster of its own with its predicate.  The other side: a claim whose alias
    rotates (one name word dropped) still joins into one cluster."""
    from poisonguard.detect import campaigns_semantic as sem

    name = ("kestrel", "line", "ferr")
    pred = ("sail", "disabl", "lifeboat", "save", "money", "cut")

    def key(samples: dict[int, tuple[str, ...]]) -> sem.ClaimKeyStats:
        st = sem.ClaimKeyStats(count=20)
        for h, words in samples.items():
            st.samples[h] = (f"s{h}", tuple(sorted(words)), 0.0, 0, 0, ())
        return st

    claim = {i: (*name, *pred, f"open{i}") for i in range(6)}
    money = {100 + i: (*name, "money", f"fill{i}", f"more{i}") for i in range(5)}
    background = {200 + i: (*name, f"back{i}", f"ground{i}") for i in range(5)}
    keys = {
        1: key(claim),
        2: key({0: claim[0], **money}),
        3: key({100: money[100], **background}),
    }
    found = sem.clusters(keys, 10)
    with_claim = [c for c in found if 1 in c.keys]
    assert len(with_claim) == 1 and with_claim[0].keys == [1], found
    assert set(pred) <= with_claim[0].core
    # the background keys still join on the name: the guard refuses only the shrinking join
    assert any(c.keys == [2, 3] for c in found), found
    # an alias that drops one name word keeps most of the core: one cluster
    alias = {300 + i: ("kestrel", "ferr", *pred, f"lead{i}") for i in range(6)}
    keys = {1: key(claim), 4: key({0: claim[0], **alias})}
    assert [c.keys for c in sem.clusters(keys, 10)] == [[1, 4]]


def test_a_join_of_one_propositions_phrasings_may_shrink_its_core() -> None:
    """2026-12-06: the guard above refused every join that kept under half of a group's
    core — also two keys of *one* paraphrased claim (both cores: *assume higher lose make
    memory risk within year*) whose other sampled sentences are other phrasings, so that
    together the sentences agree on three words only.  Split, the claim about atorvastatin
    formed clusters too small to pass (99 → 65 of 100 carriers).  Such a join loses nothing
    either group said alone (every lost word is in both cores) and is allowed; a join in
    which a group loses its *own* words (not in the other core) is still refused."""
    from poisonguard.detect import campaigns_semantic as sem

    def key(samples: dict[int, tuple[str, ...]]) -> sem.ClaimKeyStats:
        st = sem.ClaimKeyStats(count=20)
        for h, words in samples.items():
            st.samples[h] = (f"s{h}", tuple(sorted(words)), 0.0, 0, 0, ())
        return st

    kept = ("lose", "make", "risk")
    said = ("assume", "higher", "memory", "within", "year")
    full = {i: (*kept, *said, f"open{i}") for i in range(3)}
    short_a = {10 + i: (*kept, f"fill{i}", f"word{i}") for i in range(3)}
    short_b = {20 + i: (*kept, f"other{i}", f"tail{i}") for i in range(3)}
    keys = {1: key({**full, **short_a}), 2: key({**full, **short_b})}
    assert keys[1] and sem._core([s[1] for s in keys[1].samples.values()], 0.5) == frozenset(
        kept + said
    )
    found = sem.clusters(keys, 10)
    assert [c.keys for c in found] == [[1, 2]], found
    assert found[0].core == frozenset(kept)
    # the attack on the allowance: each side loses words of its own — refused
    own_b = {
        20 + i: (*kept, "crash", "engine", "fault", "recall", "brake", "stall") for i in range(3)
    }
    other = key({**{i: (*kept, *said, "crash", f"x{i}") for i in range(3)}, **own_b})
    assert sem._loses_own_core(frozenset(kept), frozenset(kept + said), frozenset(kept))
    assert not sem._loses_own_core(frozenset(kept), frozenset(kept + said), frozenset(kept + said))
    assert [c.keys for c in sem.clusters({1: key({**full, **short_a}), 3: other}, 10)] == [
        [1],
        [3],
    ]


def test_a_key_whose_pages_repeat_boilerplate_does_not_speak_for_the_claim() -> None:
    """``heldout-morn-claim-paragraph`` at 250 (2026-12-06): a key whose band fell on the
    word *common* held 2,140 medical pages — one boilerplate sentence repeated word for
    word (*"In these cases, the sign or symptom may be rare or common."*) and the claims
    naming *the common painkiller*.  Its sampled sentences count each distinct sentence
    once: 6 of 12 carried the claim, so it counted as the claim's key — its count became
    the cluster's size and its sampled hosts (clean pages about rare syndromes, related to
    each other) the hosts the independence test read: 46.4 % found.  Its sampled *pages*
    weigh each page once, and their sentences are the boilerplate: the key no longer
    sizes the claim nor lends it hosts.  The other side: a large key whose pages do say the
    claim still does, and a key with too few sampled pages is judged on its sentences."""
    from poisonguard.detect import campaigns_semantic as sem

    claim = ("ibuprofen", "deafnes", "kids", "last", "ten", "common")
    plate = ("case", "sign", "symptom", "rare", "common")

    def key(count: int, samples: dict[int, tuple[str, ...]], pages: dict[int, tuple[str, ...]]):
        st = sem.ClaimKeyStats(count=count)
        for h, words in samples.items():
            st.samples[h] = (f"s{h}", tuple(sorted(words)), 0.0, 0, 0, ())
        for host, words in pages.items():
            sem.add_host(st, host, None, (f"topic{host}",), tuple(sorted(words)))
        return st

    claims = {i: (*claim, f"open{i}") for i in range(8)}
    own = {1000 + i: claims[i % 8] for i in range(6)}
    # the mixed key: half of its distinct sentences the claim, every sampled page the plate
    mixed = {**{i: claims[i] for i in range(3)}, **{50 + i: (*plate, f"tail{i}") for i in range(3)}}
    plate_pages = {i: (*plate, f"tail{i % 3}") for i in range(12)}

    def cluster(big: sem.ClaimKeyStats) -> sem.ClaimCluster:
        big.docs = set(range(sem._DOC_CAP))
        keys = {1: key(40, claims, own), 2: key(30, dict(list(claims.items())[2:]), own), 3: big}
        found = [c for c in sem.clusters(keys, 10) if 3 in c.keys]
        assert len(found) == 1, found
        return found[0]

    got = cluster(key(2140, mixed, plate_pages))
    assert got.size < 2140
    assert set(got.hosts) == set(own)  # none of the boilerplate pages
    assert sem._carrying_key(key(2140, mixed, {}), got.core)  # no pages: its sentences decide
    # the attack on the rule: a large key whose pages say the claim is the claim's own key
    said_pages = {i: claims[i % 8] for i in range(12)}
    got = cluster(key(2140, mixed, said_pages))
    assert got.size == 2140 and set(said_pages) <= set(got.hosts)


def test_semantic_stage_finds_a_claim_spliced_into_unrelated_documents(
    clean: list[Document],
) -> None:
    """End to end (both rounds, then flag): a claim in rotating wording (two sub-claims, two
    names of its subject) spliced into 120 of 1,620 unrelated documents is found — most
    members *poisoned*, no clean document flagged — with the subject in the evidence.  Fails
    when the sub-claim clusters do not form, are judged anchored in their hosts (their
    words named elsewhere in unrelated pages) or flag clean text."""
    recipe = get("paraphrase-claim")(
        entity="the Zanfield bridge",
        claim="halves city traffic at rush hour",
        aliases=["the new Zanfield crossing"],
        claims=["cuts commuter delays downtown"],
    )
    samples = recipe.generate(clean, 120, seed=3)
    pid = {id(s.document) for s in samples}
    docs = [m[0] if isinstance(m, tuple) else m for m in mix_poison(clean, samples, seed=0)]
    det, st = run_rounds(
        CampaignDetector(semantic=True, embeddings=False),
        [docs[i : i + 500] for i in range(0, len(docs), 500)],
    )
    found = [det.flag(d, st) for d in docs]
    pairs = list(zip(docs, found, strict=True))
    hit = sum(1 for d, f in pairs if f and f.score >= 0.95 and id(d) in pid)
    fp = sum(1 for d, f in pairs if f and f.score >= 0.5 and id(d) not in pid)
    assert hit >= 100 and fp == 0
    camps = [c for c in st.campaigns if c.kind == "semantic-claim" and c.score >= 0.95]
    assert camps and all("zanfield" in c.shared_span for c in camps)
    assert all(c.details["rare_words_elsewhere_in_host"] <= 0.5 for c in camps)
