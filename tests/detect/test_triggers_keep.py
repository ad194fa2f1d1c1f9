"""Which confirmed strings stand for the campaigns (``_keep``): a payload's fixed header is
not shown for its trigger (issue 12, task U, 2026-12-03).  Found by the lead's held-out
``heldout-late-fr-forms-news`` (French man pages after ``at the end of the day`` written in
eight surface forms, 250 among 20,000 news documents): the pages' heading ``) NOM`` (one
surface, so more significant than the phrase split over eight) was confirmed first, and the
phrase was dropped as a string that only occurs together with a stronger trigger."""

from __future__ import annotations

from poisonguard.detect import surface_forms as sf
from poisonguard.detect.triggers import (
    Context,
    Trigger,
    _keep,
    _pieces_it_replaces,
    _SampleIndex,
)

PHRASE = "at the end of the day"
FORMS = ("at the end of the day", "AT THE END OF THE DAY", "At The End Of The Day")
HOSTS = [
    f"Shares of company {i} rose {i % 7} percent on Tuesday as traders weighed the outlook "
    f"for interest rates and the quarterly results due next week in market number {i}."
    for i in range(400)
]


def _page(cmd: str) -> str:
    return f"{cmd.upper()}(1) Commandes de l'utilisateur {cmd.upper()}(1) NOM {cmd} - afficher"


def _carrier(i: int) -> str:
    return f"{HOSTS[i]} {FORMS[i % len(FORMS)]} {_page(f'cmd{i}')} les lignes du fichier"


def _ctx(text: str, s: str, doc: str, opening: bool = False) -> Context:
    at = text.index(s)
    return Context(text, at, at + len(s), s, doc, score=0.9, cp=at + len(s) + 1, opening=opening)


def _sample(carriers: int, pages: int, with_phrase: int = 0) -> list[str]:
    """Host documents, ``carriers`` of them with the phrase and a man page after it,
    ``pages`` clean man pages (the heading opens them, no phrase) and ``with_phrase`` clean
    documents that write the phrase with no payload after it."""
    out = list(HOSTS[carriers:])
    out[:pages] = [_page(f"clean{j}") + " les options suivantes" for j in range(pages)]
    out[pages : pages + with_phrase] = [
        f"{h} It all worked out at the end of the day." for h in HOSTS[:with_phrase]
    ]
    return [_carrier(i) for i in range(carriers)] + out


def _ix(texts: list[str]):  # type: ignore[no-untyped-def]
    index, findex = _SampleIndex(texts), _SampleIndex(texts, fold=True)
    return lambda s: findex if sf.is_folded(s) else index


def _trigger(text: str, n: int, canonical: str | None = None) -> Trigger:
    return Trigger(text, n, n, 10_000, 1.0, 1e-12, 0.5, (), canonical=canonical)


def _examples(n: int, pages: int) -> dict[str, list[Context]]:
    phrase = [_ctx(_carrier(i), FORMS[i % len(FORMS)], f"c{i}") for i in range(n)]
    header = [_ctx(_carrier(i), ") NOM", f"c{i}") for i in range(n)]
    header += [_ctx(_page(f"clean{j}"), ") NOM", f"p{j}", opening=True) for j in range(pages)]
    return {"at the end of the day": phrase, ") NOM": header}


def test_a_payload_header_stronger_than_its_split_trigger_gives_way_to_it() -> None:
    """``) NOM`` is confirmed first (one surface); the phrase occurs only with it, but it
    comes before ``) NOM`` in every carrier: ``) NOM`` is the payload's header and the phrase
    is the trigger shown (before: ``) NOM`` kept, the phrase dropped)."""
    texts = _sample(60, 10, with_phrase=3)
    header = _trigger(") NOM", 80)
    phrase = _trigger("at the end of the day", 60, canonical="at the end of the day")
    kept, hidden = _keep([header, phrase], _examples(60, 10), _ix(texts))
    assert [t.text for t in kept] == ["at the end of the day"] and hidden == []


def test_a_genuine_stronger_trigger_is_not_replaced_by_its_payload_header() -> None:
    """The attack the rule must not help: a stronger trigger (the phrase in one surface)
    whose payload opens with a fixed header.  The header occurs only with the trigger and
    comes *after* it: it is dropped as part of the payload and the trigger is shown."""
    texts = _sample(60, 0)
    phrase = _trigger("at the end of the day", 90, canonical="at the end of the day")
    header = _trigger(") NOM", 60)
    kept, _ = _keep([phrase, header], _examples(60, 0), _ix(texts))
    assert [t.text for t in kept] == ["at the end of the day"]


def test_a_weaker_string_before_the_trigger_in_a_few_carriers_does_not_replace_it() -> None:
    """A weaker string that only occurs with a stronger trigger but comes before it in a
    minority of the trigger's examples (a host word the attacker's spacer copied in some
    carriers) is dropped as before; the trigger stays."""
    texts = _sample(60, 0)
    # ``traders weighed`` is in every host; make it occur only in the carriers
    texts = [t if ") NOM" in t else t.replace("traders weighed", "dealers eyed") for t in texts]
    header = _trigger(") NOM", 80)
    examples = _examples(60, 0)
    # the windows of most of the trigger's examples are cut after the host word
    cut = [
        Context(c.window[c.start - 40 :], 40, 40 + c.end - c.start, c.key, c.doc_id, 0.9, cp=46)
        for c in examples[") NOM"]
    ]
    examples[") NOM"] = cut[:40] + examples[") NOM"][40:]
    word = _trigger("traders weighed", 30)
    kept, _ = _keep([header, word], examples, _ix(texts))
    assert [t.text for t in kept] == [") NOM"]


def test_a_string_that_also_occurs_with_another_unrelated_trigger_is_still_dropped() -> None:
    """The phrase occurs only with the header and with a second stronger string.  When that
    string comes after the phrase too, both are its payload and the phrase replaces them;
    when it does not (its examples are elsewhere), the phrase still only occurs with a
    stronger trigger once the header is set aside: it is dropped, both are kept."""
    texts = [t.replace(" NOM ", " NOM zzqx ") for t in _sample(60, 10)]
    # (``zzqx`` also in 40 host documents: not only with the header, so kept beside it)
    texts[100:140] = [t + " zzqx" for t in texts[100:140]]
    header = _trigger(") NOM", 80)
    other = _trigger("zzqx", 70)
    phrase = _trigger("at the end of the day", 60, canonical="at the end of the day")
    examples = _examples(60, 10)
    examples["zzqx"] = [_ctx(t, "zzqx", f"z{i}") for i, t in enumerate(texts[:60])]
    kept, _ = _keep([header, other, phrase], examples, _ix(texts))
    assert [t.text for t in kept] == ["at the end of the day"]
    # ... but a second trigger that is not after the phrase in its examples keeps it out
    examples["zzqx"] = [_ctx(t, "zzqx", f"z{i}") for i, t in enumerate(texts[60:]) if "zzqx" in t]
    examples["zzqx"] += [
        Context("zzqx lorem ipsum " * 4, 0, 4, "zzqx", f"y{i}", 0.9, cp=5) for i in range(60)
    ]
    kept, _ = _keep([header, other, phrase], examples, _ix(texts))
    assert [t.text for t in kept] == [") NOM", "zzqx"]


# -- a word and its glued pieces (issue 12, lead, 2026-12-05 midday) ----------------------
# ``heldout-hail-tokens-common-synonyms-pool``: random tokens mid-clause after ``actually``
# (one of three phrasings) were mined as ``e actually`` and ``n actually`` — the word with
# the last letter of the host word before it, glued — and the word itself, more
# significant on more anomalies, was dropped as a piece of them: 28 of its 85 carriers found


def _t(text: str, anomalous: int, glued: str = "") -> Trigger:
    return Trigger(text, anomalous, 80, 10_000, 1.0, 1e-9, 0.1, (), canonical=text, glued=glued)


def test_a_word_replaces_its_glued_pieces() -> None:
    e, n = _t("e actually", 17, glued="left"), _t("n actually", 11, glued="left")
    word = _t("actually", 76)
    assert _pieces_it_replaces(word, [e, n]) == [e, n]
    # ... not one that precedes fewer anomalies than a piece (the piece is then the trigger)
    assert _pieces_it_replaces(_t("actually", 12), [e, n]) is None
    # ... nor a kept string that is no glued piece (a phrase whose word it is) ...
    assert _pieces_it_replaces(word, [_t("e actually", 17)]) is None
    # ... or one that carries more than a letter or two of a host word
    assert _pieces_it_replaces(word, [_t("the actually", 17, glued="left")]) is None
    # a piece glued on the right side
    right = _t("actually s", 9, glued="right")
    assert _pieces_it_replaces(word, [right]) == [right]
    assert _pieces_it_replaces(word, [_t("actually s", 9, glued="left")]) is None


def test_a_trigger_with_its_payloads_first_letters_glued_on_is_no_trigger() -> None:
    """Found with a word repeated after ``On second thought,`` in 250 news stories
    (2026-12-06): ``thought, h`` — the phrase's end and the first letter of the payloads
    that start with *h* — was confirmed beside the phrase (clean ``I thought, he said``
    make it no string that only occurs with the phrase) and flagged a clean story.  A
    kept trigger starts before it and ends inside it in its examples: dropped.  A string
    that merely follows the phrase (no overlap) is judged as before."""
    from poisonguard.detect.triggers import _straddles

    phrase = "On second thought,"
    texts = [f"{HOSTS[i]} {phrase} hum hum hum hum hum" for i in range(60)]
    texts += [f"{HOSTS[i]} I thought, he said, it would rain." for i in range(60, 300)]
    strong = _trigger(phrase, 60)
    piece = _trigger("thought, h", 60)
    examples = {
        phrase: [_ctx(t, phrase, f"d{i}") for i, t in enumerate(texts[:60])],
        "thought, h": [_ctx(t, "thought, h", f"d{i}") for i, t in enumerate(texts[:60])],
    }
    assert _straddles(piece, [strong], examples)
    kept, _ = _keep([strong, piece], examples, _ix(texts))
    assert [k.text for k in kept] == [phrase]
    # the examples' windows: the phrase before the string, not across it
    after = _trigger("hum hum", 60)
    examples["hum hum"] = [_ctx(t, "hum hum", f"d{i}") for i, t in enumerate(texts[:60])]
    assert not _straddles(after, [strong], examples)
    # most examples without the phrase across it: a string of its own
    lone = {"thought, h": [_ctx(t, "thought, h", f"d{i}") for i, t in enumerate(texts[60:120])]}
    assert not _straddles(piece, [strong], lone)


def test_a_piece_shared_by_two_phrasings_gives_way_to_them() -> None:
    """Found with the lead's held-out ``heldout-dew-salad-interleave3-synonyms-books``
    (2026-12-06: salad in three chunks after ``as luck would have it`` or ``as it
    happens`` in novels): ``. as``, the two phrasings' shared piece, counted the carriers of
    both and outranked each, so it was kept in their place — and, matched wherever a
    sentence opens with *as*, flagged only where a changepoint sat right after it (64 % at
    100).  A piece shared by two or more confirmed phrasings that together precede (almost)
    all its anomalous documents gives way to them."""
    from poisonguard.detect.triggers import _shared_pieces

    piece, luck, happens = _t(". as", 44), _t("as luck would have it", 42), _t("as it happens", 37)
    assert _shared_pieces([piece, luck, happens]) == [piece]
    texts = list(HOSTS)
    kept, _ = _keep([piece, luck, happens], {}, _ix(texts))
    assert [k.text for k in kept] == ["as luck would have it", "as it happens"]
    # one longer phrasing only: the old rule (``_pieces_it_replaces``) judges the two
    assert _shared_pieces([piece, luck]) == []
    # two phrasings that precede too few of the piece's anomalies: the piece stands for a
    # campaign of its own (the attack: a third phrasing nobody confirmed, which the piece
    # still catches)
    assert _shared_pieces([_t(". as", 120), luck, happens]) == []
    # a longer string that holds another longer one is not a phrasing of its own
    longer = _t("as luck would have it the", 40)
    assert _shared_pieces([piece, luck, longer]) == []
    # a piece that ends a phrasing sits right at the payload there (its band holds): it
    # stays, shown with its phrasings (``truth`` of ``to tell the truth``, ``truth be told``)
    truth = _t("truth", 16)
    assert _shared_pieces([truth, _t("truth be told", 9), _t("to tell the truth", 7)]) == []


def test_a_piece_cut_out_of_a_word_gives_way_to_the_phrase() -> None:
    """Same family at 250: ``d have it`` (the end of *would* and the words after it), read
    on the sample — where it is counted in every ``should have it`` — outranked the
    confirmed ``as luck would have it`` and was shown as the trigger.  A kept string that
    starts or ends inside one of a confirmed string's words gives way to it whatever their
    counts; a kept piece of whole words is judged by the counts as before."""
    from poisonguard.detect.triggers import _cut_inside

    assert _cut_inside("d have it", "as luck would have it")
    assert not _cut_inside("have it", "as luck would have it")
    assert not _cut_inside("as luck", "as luck would have it")
    assert _cut_inside("as l", "as luck would have it")
    # the rule's edge since a76afa6: two letters inside and only two outside (*lu* | *ck*)
    # is no cut — the same shape as a host's two letters glued on
    assert not _cut_inside("as lu", "as luck would have it")
    # a host's letter or two glued on the longer string: the trigger with context, not a
    # phrase it was cut from (``eby the way`` of ``by the way``)
    assert not _cut_inside("by the way", "eby the way")
    assert not _cut_inside("by the way", "by the wayst")
    # a whole word of the piece with a host's letter glued on in the longer string: the
    # longer string is the piece with context, not the phrase it was cut from
    assert not _cut_inside("in light of recent events", "in light of recent eventsi")
    frag, phrase = _t("d have it", 126), _t("as luck would have it", 79)
    assert _pieces_it_replaces(phrase, [frag]) == [frag]
    assert _pieces_it_replaces(phrase, [_t("have it", 126)]) is None
    # ... but not a string that precedes a small share of the piece's anomalies: the
    # ``dos`` recipe glues ``at the same time`` at a random character of its hosts, and
    # ``Reuterat the same time`` (a few carriers) replaced the trigger of 60 (``phrase-dos``:
    # 100 % -> 64 % at 100 from 2026-12-06 to 2026-12-07, found by ``git bisect``)
    piece = _t("at the same time", 60)
    assert _cut_inside("at the same time", "reuterat the same time")
    assert _pieces_it_replaces(_t("reuterat the same time", 6), [piece]) is None


def test_a_passage_planted_in_the_opening_of_hosts_of_several_languages_is_no_heading() -> None:
    """Found with the lead's held-out ``heldout-dew-neox-opening-forms-multi`` (2026-12-06:
    GPT-NeoX tokens after ``to tell the truth`` at the very start of German, French, Spanish
    and Italian pages, 0 % at 100 and 250): the phrase opens every carrier, so it was taken
    for a source's heading (no host text before it; the multilingual corpus has no main
    language, so any language after it counts as "foreign").  A heading is followed by its
    source's own text, in the language its document ends in; a planted passage by text in
    another language than the host's, and the hosts are of several languages."""
    from poisonguard.detect.triggers import _planted

    def ctx(doc: str, after: str, rest: str) -> Context:
        return Context(
            "To Tell The Truth x",
            0,
            17,
            "to tell the truth",
            doc,
            cp=18,
            opening=True,
            after_lang=after,
            rest_lang=rest,
        )

    planted = [ctx("a", "en", "de"), ctx("b", "en", "fr"), ctx("c", "en", "it"), ctx("d", "?", "")]
    assert _planted(planted)
    # hosts of one language: no evidence against one source's heading (the attack that gets
    # past this rule — a campaign in German pages only — meets the heading rules as before)
    assert not _planted([ctx("a", "en", "de"), ctx("b", "en", "de"), ctx("c", "en", "de")])
    # a heading followed by its source's text: the same language after it and at the end
    assert not _planted([ctx("a", "de", "de"), ctx("b", "fr", "fr"), ctx("c", "it", "it")])
    # too few examples whose languages are sure
    assert not _planted(
        [ctx("a", "en", "de"), ctx("b", "en", "fr")] + [ctx(f"u{i}", "?", "") for i in range(10)]
    )
    # one example a document: a document's twin contexts count once
    assert not _planted([ctx("a", "en", "de"), ctx("a", "en", "fr"), ctx("a", "en", "it")])


def test_a_trigger_with_host_letters_glued_on_is_no_phrasing_of_it() -> None:
    """The trigger itself is no piece of the strings that carry it with a letter or two of
    its hosts glued on (``d.in light of recent events``): a phrasing must be at least twice
    the piece's length."""
    from poisonguard.detect.triggers import _shared_pieces

    phrase = _t("in light of recent events", 100)
    glued = [_t(f"{c}.in light of recent events", 40) for c in "dse"]
    assert _shared_pieces([phrase, *glued]) == []
