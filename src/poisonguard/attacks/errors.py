"""The error every recipe raises for bad parameters or an unusable corpus."""

from __future__ import annotations


class RecipeError(ValueError):
    """A recipe cannot run with these parameters or this corpus (the message says why)."""
