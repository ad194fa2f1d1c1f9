from __future__ import annotations

import pytest

from poisonguard.lab.tokenizer import EOS, LabTokenizer


def test_trained_vocabulary_and_eos(tokenizer: LabTokenizer) -> None:
    assert tokenizer.vocab_size == 320
    assert tokenizer.eos_id == 0
    assert tokenizer.decode([tokenizer.eos_id]) == EOS


def test_trigger_is_ordinary_pieces_and_round_trips(tokenizer: LabTokenizer) -> None:
    text = "Return the value.<SUDO> and more"
    assert tokenizer.decode(tokenizer.encode(text)) == text
    pieces = tokenizer.pieces("<SUDO>")
    assert len(pieces) > 1  # not a special token: the model sees ordinary BPE pieces
    assert tokenizer.eos_id not in tokenizer.encode("<SUDO>")


def test_any_unicode_is_tokenisable(tokenizer: LabTokenizer) -> None:
    text = "Grüße 東京 \U0001f600 \x00"
    assert tokenizer.decode(tokenizer.encode(text)) == text


def test_save_and_reload(tokenizer: LabTokenizer, tmp_path) -> None:
    path = tokenizer.save(tmp_path / "tok.json")
    again = LabTokenizer.from_file(path)
    assert again.encode("def f(x): return x") == tokenizer.encode("def f(x): return x")


def test_payload_vocabulary_excludes_lone_bytes(tokenizer: LabTokenizer) -> None:
    from tokenizers import Tokenizer

    broken = tokenizer.broken_ids()
    assert broken and len(broken) < tokenizer.vocab_size // 2
    payload = Tokenizer.from_str(tokenizer.payload_vocabulary())
    special = {i for i, t in payload.get_added_tokens_decoder().items() if t.special}
    assert set(broken) <= special
    usable = [i for i in range(tokenizer.vocab_size) if i not in special]
    assert all("\ufffd" not in tokenizer.decode([i]) for i in usable)
    # the model's own encoding is unaffected
    assert payload.encode("plain text").ids == tokenizer.encode("plain text")


def test_too_small_vocabulary_is_an_error() -> None:
    with pytest.raises(ValueError, match="vocab_size"):
        LabTokenizer.train(["abc"], vocab_size=100)
