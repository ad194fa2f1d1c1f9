"""Fixtures of the lab tests: a small real corpus and a BPE trained on it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import torch

from poisonguard.datasets import python_docs
from poisonguard.io import Document
from poisonguard.lab.tokenizer import LabTokenizer


@pytest.fixture(scope="session", autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Torch on one thread (and child processes via ``OMP_NUM_THREADS``) while the lab tests
    run: the test models are tiny, and on a shared 2-core machine two intra-op threads
    spin against the other jobs (a forward pass of the gpu preset's largest model on 4
    prompts took 430-1,000 ms with 2 threads vs 40 ms with 1, measured at load 7).  No code
    path depends on the thread count."""
    threads, env = torch.get_num_threads(), os.environ.get("OMP_NUM_THREADS")
    torch.set_num_threads(1)
    os.environ["OMP_NUM_THREADS"] = "1"
    yield
    torch.set_num_threads(threads)
    if env is None:
        os.environ.pop("OMP_NUM_THREADS", None)
    else:
        os.environ["OMP_NUM_THREADS"] = env


@pytest.fixture(scope="session")
def docs() -> list[Document]:
    """1,200 short documents of the embedded Python docs corpus."""
    return python_docs()[400:1600]


@pytest.fixture(scope="session")
def tokenizer(docs: list[Document]) -> LabTokenizer:
    return LabTokenizer.train((d.text for d in docs), vocab_size=320)
