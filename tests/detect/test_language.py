"""Language switch on real text: the language-switch recipe (English → German/French from
the multilingual corpus) and clean English / non-English documents."""

from __future__ import annotations

import itertools
from pathlib import Path

from poisonguard.attacks import get
from poisonguard.detect.language import LanguageSwitch, identify, segments
from poisonguard.io import CorpusReader, Document
from tests.detect.scan_data import clean_docs


def test_identify_and_segments_on_real_text() -> None:
    en = clean_docs()[5].text
    assert identify("The quick brown fox jumps over the lazy dog near the river bank.")[0] == "en"
    segs = segments(en)
    assert segs and segs[0].start == 0 and segs[-1].end == len(en)
    assert all(a.end == b.start for a, b in itertools.pairwise(segs))


def test_english_corpus_has_no_switch() -> None:
    det = LanguageSwitch().fit([])
    docs = list(clean_docs())
    found = [f for d in docs if (f := det.score(d)) is not None and f.score >= det.min_flag_score]
    assert len(found) <= 0.002 * len(docs)


def test_code_and_tables_carry_no_language() -> None:
    det = LanguageSwitch()
    table = "\n".join(f"| {i:4d} | {i * 3.7:8.2f} | x{i:03x} |" for i in range(80))
    text = clean_docs()[3].text + "\n\n" + table + "\n\n" + clean_docs()[4].text
    assert det.score(Document(id="t", text=text)) is None


def _sample(path: Path, n: int, step: int) -> list[Document]:
    return list(itertools.islice(CorpusReader(path).documents(), 0, n * step, step))


def test_language_switch_poison_and_clean_multilingual(shared_corpora: Path) -> None:
    web = _sample(shared_corpora / "web.jsonl.gz", 600, 3)
    recipe = get("language-switch")(foreign=shared_corpora / "multilingual.jsonl.gz", lang="de")
    samples = recipe.generate(web, 120, seed=0)
    det = LanguageSwitch().fit(web)
    near = hit = 0
    for s in samples:
        f = det.score(s.document)
        if f is None or not f.extra["candidate"]:
            continue
        hit += 1
        assert f.extra["to"] == "de"
        if abs(f.extra["changepoint"] - s.truth.trigger_span[1]) <= 60:
            near += 1
    # per document about half are visible (short German payloads, empty prefixes); the
    # trigger miner needs only k of them — and those it sees, it places at the trigger
    assert hit >= 0.4 * len(samples)
    assert near >= 0.8 * hit
    # clean text in many languages (and English web text) rarely switches
    multi = _sample(shared_corpora / "multilingual.jsonl.gz", 800, 31)
    assert len({d.id.split("-")[1] for d in multi}) >= 3
    for docs in (multi, web):
        flagged = [
            d for d in docs if (f := det.score(d)) is not None and f.score >= det.min_flag_score
        ]
        assert len(flagged) <= 0.02 * len(docs)


def test_batched_identification_equals_one_by_one(shared_corpora: Path) -> None:
    """The vectorised automaton gives py3langid's own answers (probability included)."""
    from poisonguard.detect.language import identify_many

    docs = _sample(shared_corpora / "multilingual.jsonl.gz", 150, 97)
    texts = [t for d in docs for t in (d.text[:160], d.text[-80:], d.text[:7])]
    texts += ["", "   ", "ÉCOLE", "\ud800 broken surrogate", "数字 123 and text"]
    assert identify_many(texts) == [identify(t) for t in texts]


def test_score_batch_equals_score(shared_corpora: Path) -> None:
    web = _sample(shared_corpora / "web.jsonl.gz", 80, 7)
    recipe = get("language-switch")(foreign=shared_corpora / "multilingual.jsonl.gz", lang="fr")
    docs = web + [s.document for s in recipe.generate(web, 40, seed=1)]
    det = LanguageSwitch().fit([])
    batch = det.score_batch(docs)
    assert any(f is not None for f in batch)
    assert batch == [det.score(d) for d in docs]


def test_switch_point_is_placed_to_the_word() -> None:
    """The switch is located at the first word of the new language, every word start
    tried, on both sides of a language-neutral token (a man page's ``LS(1)``)."""
    from poisonguard.detect.language import switch_point

    host = (
        "The committee met on Tuesday to discuss the budget for next year and agreed to "
        "postpone the vote until the auditors have finished their report. In other words, "
    )
    french = (
        "Afficher les informations sur les fichiers du répertoire courant par défaut, "
        "trier les entrées par ordre alphabétique si aucune des options n'est indiquée."
    )
    text = host + french
    assert switch_point(text, 40, len(text) - 40, "en", "fr") == len(host)
    # the range searched decides: none of its word starts is the switch
    assert switch_point(text, len(host) + 20, len(text) - 40, "en", "fr") > len(host)
    # no word start in the range
    assert switch_point(text, 3, 4, "en", "fr") == 3


# -- short hosts, unsure tails, passages inside a document (issue 12, task E) --------------
_FR = (
    "Afficher les informations sur les fichiers du répertoire courant par défaut. "
    "Trier les entrées par ordre alphabétique si aucune des options n'est indiquée. "
    "Les arguments obligatoires pour les options longues le sont aussi pour les courtes. "
    "Ne pas ignorer les entrées dont le nom commence par un point. "
)
_HOST = (
    "The committee met on Tuesday to discuss the budget for next year and agreed to "
    "postpone the vote until the auditors have finished their report. "
)


def _changepoints(f: object) -> list[int]:
    assert f is not None
    return [s.start for s in f.spans if s.label == "changepoint"]  # type: ignore[attr-defined]


def test_a_short_host_and_a_payload_header_in_one_segment_are_split() -> None:
    """A host of one clause and a man page's header line with no sentence end between them
    fall into one segment that py3langid gives the payload's language: no switch is seen.
    Cut in two where py3langid is sure of both halves and they differ, the switch is found
    at the trigger.  A text in one language throughout is not cut (no finding)."""
    host = (
        "She glanced round on hearing him coming, and smiled nervously at the old man by the door, "
    )
    header = "In other words, WC(1) Commandes de l'utilisateur WC(1) NOM wc - Afficher le nombre "
    text = host + header + "de lignes, de mots et d'octets de chaque fichier " + _FR * 3
    doc = Document(id="d", text=text)
    assert LanguageSwitch(split_mixed=False).score(doc) is None
    end = text.index("In other words,") + len("In other words,")
    f = LanguageSwitch().score(doc)
    assert f is not None and f.extra["from"] == "en" and f.extra["to"] == "fr"
    assert any(abs(cp - end) <= 16 for cp in _changepoints(f))
    assert LanguageSwitch().score(Document(id="e", text=_FR * 4)) is None
    assert LanguageSwitch().score(Document(id="e", text=clean_docs()[5].text)) is None


def test_an_unsure_tail_probe_of_another_language_opens_the_gate() -> None:
    """The gate segments a document only when its probes disagree; the 80-character tail
    probe of a man page's last line is often identified at 0.5-0.8 — below the old bar of
    0.8 the document was never segmented."""
    from poisonguard.detect.language import identify_many

    tail = "AUTEUR Écrit par Paul Rubin et David MacKenzie. SIGNALER DES BOGUES"
    doc = Document(id="d", text=_HOST * 3 + "In other words, " + _FR[:160] + tail)
    probes = identify_many(LanguageSwitch()._probes(doc.text) or [])
    # (head, tail, middle: the middle lies in the host here)
    assert [lang for lang, _ in probes] == ["en", "fr", "en"] and 0.5 <= probes[1][1] < 0.8
    assert LanguageSwitch(gate_prob=0.8).score(doc) is None
    f = LanguageSwitch().score(doc)
    assert f is not None and f.extra["candidate"]


def test_a_passage_inside_a_document_has_both_changepoints() -> None:
    """English, a French passage, English again: the best single cut is where the host
    comes back; where the passage starts (right after the trigger) is reported too."""
    back = (
        "The council will meet again next month to vote on the new plan for the park, "
        "and residents are invited to attend. "
    ) * 5
    passage = _FR[:160] * 3
    text = _HOST + "In other words, " + passage + back
    f = LanguageSwitch().score(Document(id="d", text=text))
    assert f is not None and (f.extra["from"], f.extra["to"]) == ("fr", "en")
    cps = _changepoints(f)
    start = len(_HOST) + len("In other words, ")
    assert any(abs(cp - (start + len(passage))) <= 20 for cp in cps)
    assert any(abs(cp - start) <= 80 for cp in cps)


_DE_SENTENCE = "Erkennen heißt: Alle Dinge zu unserem Besten verstehen. "
_ES = (
    "Si tu problema tiene solución, ¿para qué te preocupas? Y si no tiene solución, ¿para "
    "qué te preocupas? La palabra se ha dado al hombre para que pueda encubrir su "
    "pensamiento, y la amistad es animal de compañía, no de rebaño. El amor hace pasar el "
    "tiempo; el tiempo hace pasar el amor. "
)
_DE = (
    "Die Macht des Priesters ist an den Aberglauben und an die stumpfsinnige "
    "Leichtgläubigkeit der Völker gebunden. Es gibt problematische Naturen, die keiner "
    "Lage gewachsen sind, in der sie sich befinden, und denen keine genugtut. "
)


def test_a_host_of_one_short_sentence_before_a_longer_passage_is_seen() -> None:
    """A host of one short sentence, a phrase, then a passage two or three times as long
    in another language: the 160-character head probe reads host and passage together and
    gets the passage's language, the gate sees one language and the document is never
    segmented.  The head probe ends at the first sentence end past 40 characters."""
    text = _DE_SENTENCE + "All things being equal, " + _ES + _ES[:60]
    assert len(text) > 2 * 160
    probes = LanguageSwitch()._probes(text)
    assert probes is not None and probes[0] == _DE_SENTENCE.rstrip()
    f = LanguageSwitch().score(Document(id="d", text=text))
    assert f is not None and f.extra["from"] == "de" and f.extra["to"] == "es"
    assert f.extra["candidate"]
    assert any(abs(cp - len(_DE_SENTENCE)) <= 40 for cp in _changepoints(f))
    # one language throughout: no finding
    assert LanguageSwitch().score(Document(id="e", text=_DE_SENTENCE + _DE * 2)) is None


def test_a_passage_between_head_and_tail_opens_the_gate() -> None:
    """A passage of another language in the middle of a document of a few hundred
    characters lies between the head and the tail probes (the middle was probed only past
    960 characters): the middle is probed whatever the length."""
    text = _DE + "Needless to say, " + _ES + _DE
    assert 2 * 160 < len(text) <= 6 * 160
    f = LanguageSwitch().score(Document(id="d", text=text))
    assert f is not None and {f.extra["from"], f.extra["to"]} == {"de", "es"}
    assert any(abs(cp - len(_DE) - 17) <= 40 for cp in _changepoints(f))  # the passage's start
    assert LanguageSwitch().score(Document(id="e", text=_DE * 3)) is None


def test_a_short_host_sentence_in_a_short_document_is_cut_off() -> None:
    """A short document (always segmented): a host of one sentence merged with the
    passage's first sentences into one segment that py3langid gives the passage's
    language.  The first (and last) segment is also cut at the sentence ends inside it
    when py3langid is sure of the edge piece and it is another language; one language
    throughout is not cut."""
    from poisonguard.detect.language import segments

    host = "Lo stoicismo, religione che ha un unico sacramento: il suicidio. "
    text = host + "All things being equal, " + _ES[:200]
    assert len(text) <= 320
    plain = segments(text)
    # one sure segment of the passage's language, short enough to escape the middle cut
    assert plain[0].lang == "es" and plain[0].end - plain[0].start <= 1.4 * 150
    assert len({s.lang for s in plain if s.lang}) == 1  # no switch without the cut
    f = LanguageSwitch().score(Document(id="d", text=text))
    assert f is not None and f.extra["from"] == "it" and f.extra["to"] == "es"
    assert any(abs(cp - len(host)) <= 30 for cp in _changepoints(f))
    assert LanguageSwitch().score(Document(id="e", text=_DE_SENTENCE + _DE[:200])) is None


def test_a_repeated_batch_is_answered_from_the_memo_with_the_same_answers(
    shared_corpora: Path,
) -> None:
    """identify_many answers a large batch equal to the previous one from memory (the
    trigger miner's two main-language questions on one sample); a batch that differs in
    one text, or a small one, is classified afresh, and callers cannot alter the memo."""
    from poisonguard.detect import language

    docs = _sample(shared_corpora / "multilingual.jsonl.gz", 400, 5)
    heads = [d.text[:200] for d in docs]
    first = language.identify_many(heads)
    assert first == [identify(t) for t in heads]
    memo = language._last_batch
    assert memo is not None and memo[0] == tuple(heads)
    first[0] = ("xx", 0.0)  # the caller's list is its own
    again = language.identify_many(list(heads))
    assert language._last_batch is memo  # answered from the memo
    assert again == [identify(t) for t in heads]
    changed = [*heads[:-1], "Der schnelle braune Fuchs springt über den faulen Hund."]
    assert language.identify_many(changed)[-1] == identify(changed[-1])
    assert language._last_batch is not memo
    small = heads[: language._MEMO_MIN - 1]
    assert language.identify_many(small) == [identify(t) for t in small]
