"""What a mined trigger is shown as: the surface a reviewer can search for."""

from __future__ import annotations

from poisonguard.detect.triggers import Context, _forms, _plain


def _ctx(surface: str, i: int) -> Context:
    window = f"The host said so. {surface} qx zv lorp."
    at = window.index(surface)
    return Context(window, at, at + len(surface), "all in all", f"d{i}")


def test_a_look_alike_surface_is_evidence_not_the_name_shown() -> None:
    """A campaign writes ``all in all`` with Cyrillic look-alike letters in most carriers:
    the trigger is shown in the plain surface seen in the others (what a reviewer can grep
    for); the look-alike surfaces stay in ``forms`` as evidence, most frequent first."""
    cyr = "\u0430ll \u0456n all"  # а, і
    zw = "all in\u200b all"
    ctxs = [_ctx(cyr, i) for i in range(5)] + [_ctx(zw, 5), _ctx("All in all", 6)]
    shown, canonical, forms = _forms("all in all", ctxs)
    assert shown == "All in all" and canonical == "all in all"
    assert forms[0] == cyr and set(forms) == {cyr, zw, "All in all"}
    # with no plain surface seen, the most frequent one is shown
    shown, _, _ = _forms("all in all", [_ctx(cyr, i) for i in range(3)])
    assert shown == cyr


def test_plain_surfaces() -> None:
    assert _plain("All In ALL") and _plain("all-in-all")
    assert not _plain("\u0430ll in all") and not _plain("all in\u200ball")
