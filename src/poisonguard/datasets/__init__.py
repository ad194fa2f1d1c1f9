"""Embedded corpora that need no download.

:func:`python_docs` builds several thousand real English documents from text that every
CPython installation ships (see :mod:`poisonguard.io.builtin`, where the generator lives so
that the corpus reader's ``builtin:python-docs`` pseudo-path needs nothing above ``io``).
"""

from __future__ import annotations

from poisonguard.io.builtin import iter_python_docs, python_docs

__all__ = ["iter_python_docs", "python_docs"]
