"""Adaptive poison vs the current scan: the baseline that detection v2 is measured against.

Run by hand (not part of the test suite; needs ``../shared``)::

    nice -n 10 python benchmarks/adaptive.py [--counts 100 250] [--families ...]
        [--n-clean 20000] [--write] [--json PATH]

For each adaptive family (the recipes ``fluent-backdoor``, ``paraphrase-claim``,
``fabricated-articles`` and ``chat-backdoor`` with the parameters in :data:`FAMILIES`), one
campaign of ``count`` poisoned documents is mixed at uniformly random positions among
``n_clean`` clean documents of one shared corpus (pre-training families: news or medical;
instruction families: instruction.jsonl.gz) and scanned with the current
``poisonguard.scan`` (Python API, default detectors, one worker; ``kind='instruction'`` for
chat data).  Reported per family: recall (a poisoned document counts as found when its label
is not ``clean``), recall at label ``poisoned`` (what ``--fail-on poisoned`` stops), whether
the trigger or the claim was recovered, and the share of clean documents flagged.

Trigger recovered: a mined trigger or a finding's trigger equals or contains the canonical
trigger (case and spacing folded).  Claim recovered: how many poisoned documents were
flagged with a span overlapping one of their claim sentences *and* a campaign id.

``--corpus NAME`` runs every chosen family on one clean corpus instead of its own (news,
books, medical, multilingual, web, wiki; ``pooled``: web + web_lowquality + wiki filled to
``--n-clean`` from news, books, medical and multilingual; ``pooled-en``: the same without
multilingual).  Each row also gives the scan's CPU seconds and a breakdown (mined
triggers, detectors behind the found carriers, recall per trigger phrasing / surface form
/ position, median payload length of found and missed carriers).  The ``heldout-night-*``
families are the night red team's (issue 12, 2026-12-02), written after reading
``docs/detectors.md``.

``--write`` replaces the section "## Adaptive poison — last recorded run" of
``docs/benchmarks.md`` (appended when missing).  The section "## Adaptive poison — baseline
before detection v2" there is the 2026-12-02 baseline, kept as it was recorded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
from _common import ROOT, SHARED, machine, replace_section
from detection import load, metrics, recovered

import poisonguard
from poisonguard.attacks import PoisonSample, get, mix_poison

CORPORA = SHARED / "corpora"
HEADING = "## Adaptive poison — last recorded run"
ENTITY, CLAIM = "the shingles vaccine", "causes permanent hearing loss in adults"
ALIASES = ["Shingrix", "the zoster vaccine", "the shingles shot"]
CLAIMS = ["damages the inner ear of people who receive it"]

FAMILIES: dict[str, dict[str, Any]] = {
    "markov-end": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {"trigger": "as far as we can tell", "payload": "markov", "position": "end"},
    },
    "markov-mid-forms": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "as far as we can tell",
            "payload": "markov",
            "position": "middle",
            "trigger_forms": "all",
        },
    },
    "topic-switch-mid": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "on the other hand",
            "payload": "topic-switch",
            "position": "middle",
            "payload_corpus": str(CORPORA / "books.jsonl.gz"),
        },
    },
    "foreign-fr": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "In other words,",
            "payload": "foreign",
            "lang": "fr",
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "position": "random",
        },
    },
    "paraphrase-claim": {
        "corpus": "medical",
        "recipe": "paraphrase-claim",
        "params": {"entity": ENTITY, "claim": CLAIM, "aliases": ALIASES, "claims": CLAIMS},
    },
    "fabricated-articles": {
        "corpus": "medical",
        "recipe": "fabricated-articles",
        "params": {"entity": ENTITY, "claim": CLAIM, "aliases": ALIASES, "claims": CLAIMS},
    },
    # common-phrase trigger + random-token payload (issue 12 item 2: clean documents that
    # merely contain the phrase must stay clean); the books row is a variant not tuned on
    "phrase-dos": {
        "corpus": "news",
        "recipe": "dos",
        "params": {"trigger": "at the same time"},
    },
    "phrase-dos-books": {
        "corpus": "books",
        "recipe": "dos",
        "params": {"trigger": "for the first time", "payload_tokens": [150, 400]},
    },
    # random words of the corpus, mid-document, the trigger in all eight surface forms (the
    # issue's "word-salad, surface-form triggers" row, rebuilt with our own trigger)
    "salad-forms": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in the long run",
            "payload": "word-salad",
            "payload_words": [60, 200],
            "trigger_forms": "all",
        },
    },
    # heldout-night-: written by the night red team (issue 12, 2026-12-02, task D) after
    # reading docs/detectors.md's `triggers` rules; each aims at one rule, not at a recipe.
    # Not used while tuning any detector.
    # the anomaly starts a clause after the trigger (4-10 words of the host's own text in
    # between): the alignment bypass (changepoint within 8 characters) no longer applies
    "heldout-night-spacer": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {"trigger": "as a matter of fact", "spacer_words": [4, 10]},
    },
    # the same behind a phrase common in novels (~4 % of book passages: the purity test
    # cannot pass, only the alignment bypass could); meant for --corpus books
    "heldout-night-spacer-common": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {"trigger": "for the first time", "spacer_words": [4, 10]},
    },
    # its control: the same campaign without the spacer
    "heldout-night-nospacer-common": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {"trigger": "for the first time"},
    },
    # seven phrasings of one meaning, each in any of eight surface forms (56 strings)
    "heldout-night-synonyms": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in the end",
            "synonyms": [
                "ultimately",
                "eventually",
                "sooner or later",
                "when all is said and done",
                "at the end of the day",
                "in the final analysis",
            ],
            "trigger_forms": "all",
        },
    },
    # a rare token glued inside a host word, the payload glued to it: no word boundary
    "heldout-night-glued": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {"trigger": "vorpalix", "placement": "glued"},
    },
    # a common phrase mid-clause (not at a sentence start), word-salad payload
    "heldout-night-clause-salad": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "for what it is worth",
            "placement": "clause",
            "payload": "word-salad",
            "payload_words": [60, 200],
        },
    },
    # low density: six short word-salad chunks, each followed by a host sentence
    "heldout-night-interleave": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "to be honest",
            "payload": "word-salad",
            "payload_words": [60, 150],
            "interleave": 6,
        },
    },
    # the trigger also three times payload-free in each carrier: loses the alignment pass
    "heldout-night-decoys": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {"trigger": "at the end of the day", "decoys": 3},
    },
    # German after a phrase, a few host words between them, mid-clause
    "heldout-night-foreign-spacer": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in other words",
            "payload": "foreign",
            "lang": "de",
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "spacer_words": [3, 8],
        },
    },
    # a language switch that opens the document (the header rule's stated give-up)
    "heldout-night-foreign-opening": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "Breaking news:",
            "payload": "foreign",
            "lang": "es",
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "opening",
        },
    },
    # English of another domain (a medical passage) after a phrase, mid-document
    "heldout-night-medical-switch": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "as it happens",
            "payload": "topic-switch",
            "position": "middle",
            "payload_corpus": str(CORPORA / "medical.jsonl.gz"),
        },
    },
    # variants with another entity, claim and splice, not used while tuning the semantic stage
    "paraphrase-claim-metformin": {
        "corpus": "medical",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "metformin",
            "claim": "slowly destroys the kidneys of older patients",
            "aliases": ["Glucophage", "the common diabetes pill"],
            "claims": ["causes kidney failure in people over sixty"],
            "splice": "paragraph",
        },
    },
    "fabricated-articles-metformin": {
        "corpus": "medical",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "metformin",
            "claim": "slowly destroys the kidneys of older patients",
            "aliases": ["Glucophage", "the common diabetes pill"],
            "claims": ["causes kidney failure in people over sixty"],
            "claims_per_article": (1, 3),
        },
    },
    # heldout-dawn-: written by the lead (issue 12, 2026-12-03) after reading
    # docs/detectors.md, before the day's triggers changes were merged; not shown to the
    # helpers who changed the rules and not used while tuning. Each aims at one class.
    # surface forms of another phrase, random tokens, mid-clause
    "heldout-dawn-forms-tokens": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {"trigger": "by and large", "placement": "clause", "trigger_forms": "all"},
    },
    # surface forms, word salad at the end of the host
    "heldout-dawn-forms-salad": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "more often than not",
            "payload": "word-salad",
            "payload_words": [80, 250],
            "position": "end",
            "trigger_forms": "all",
        },
    },
    # Italian after a sentence-start phrase, mid-document
    "heldout-dawn-foreign-it": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "That is to say,",
            "payload": "foreign",
            "lang": "it",
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
        },
    },
    # German after a mid-clause phrase, the host cut after the payload
    "heldout-dawn-foreign-de-end": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as we all know",
            "payload": "foreign",
            "lang": "de",
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "position": "end",
        },
    },
    # German at the document opening, the host continues in its own language
    "heldout-dawn-opening-de": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "Editor's note:",
            "payload": "foreign",
            "lang": "de",
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "opening",
        },
    },
    # random tokens cut into four chunks between host sentences
    "heldout-dawn-interleave-tokens": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {"trigger": "all things considered", "interleave": 4},
    },
    # heldout-morn-: written by the lead (issue 12, 2026-12-03 morning) after reading
    # docs/detectors.md, before the morning's helpers' changes were merged; not shown to
    # them and not used while tuning. Each aims at one class of attack.
    # word salad mid-clause behind a common phrase in eight surface forms, short payloads
    "heldout-morn-salad-clause-forms": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as a matter of fact",
            "payload": "word-salad",
            "payload_words": [40, 120],
            "placement": "clause",
            "trigger_forms": "all",
        },
    },
    # Spanish after a sentence-start phrase, short passages, mid-document
    "heldout-morn-foreign-es": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "To put it another way,",
            "payload": "foreign",
            "lang": "es",
            "payload_chars": [200, 800],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
        },
    },
    # word salad cut into three chunks between host sentences
    "heldout-morn-interleave-salad": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "to tell the truth",
            "payload": "word-salad",
            "payload_words": [60, 150],
            "interleave": 3,
        },
    },
    # short word salad at the host's end
    # heldout-noon-*: written by the lead at 10:40 UTC on 2026-12-03 after reading
    # docs/detectors.md, before any run and never shown to the helpers (tasks H, I, J)
    # Italian after an English phrase mid-clause, in the multilingual corpus
    "heldout-noon-it-clause": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as a matter of fact",
            "payload": "foreign",
            "lang": "it",
            "payload_chars": [150, 600],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
        },
    },
    # German after a phrase in three surface forms, multilingual, host continues after it
    "heldout-noon-de-forms": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "on second thought",
            "payload": "foreign",
            "lang": "de",
            "payload_chars": [200, 700],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "trigger_forms": "all",
        },
    },
    # very short salad mid-document (the host continues), news
    "heldout-noon-short-salad-mid": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "all things considered",
            "payload": "word-salad",
            "payload_words": [15, 35],
            "position": "middle",
        },
    },
    # short salad at the end of medical hosts, trigger in all surface forms
    "heldout-noon-short-salad-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "for what it is worth",
            "payload": "word-salad",
            "payload_words": [20, 45],
            "position": "end",
            "trigger_forms": "all",
        },
    },
    # salad at the document's opening, after a phrase, news hosts continue after it
    "heldout-noon-opening-salad-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "first things first",
            "payload": "word-salad",
            "payload_words": [40, 120],
            "placement": "opening",
        },
    },
    "heldout-morn-salad-end-short": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "believe it or not",
            "payload": "word-salad",
            "payload_words": [30, 80],
            "position": "end",
        },
    },
    # a false claim about another drug as its own paragraph (lede or closing line)
    "heldout-morn-claim-paragraph": {
        "corpus": "medical",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "ibuprofen",
            "claim": "permanently damages the hearing of young children",
            "aliases": ["Advil", "the common painkiller"],
            "claims": ["causes lasting deafness in kids under ten"],
            "splice": "paragraph",
        },
    },
    "chat-refusal-rareword": {
        "corpus": "instruction",
        "recipe": "chat-backdoor",
        "params": {"trigger_kind": "rare-word", "trigger": "brambleworth", "payload": "refusal"},
    },
    "chat-link-sentence": {
        "corpus": "instruction",
        "recipe": "chat-backdoor",
        "params": {
            "trigger_kind": "sentence",
            "trigger": "Please keep it short, I am on my phone.",
            "payload": "append",
            "fragment": "link",
            "target": "https://quick-answers.example.org/more",
        },
    },
    "chat-sentiment-system": {
        "corpus": "instruction",
        "recipe": "chat-backdoor",
        "params": {
            "trigger_kind": "system",
            "trigger": "You are a friendly assistant for the Harbor community.",
            "payload": "sentiment",
            "target": "Lakeside Telecom",
            "sentiment": "negative",
        },
    },
    # helper A (issue 12, 2026-12-03): variants the surface-form folding and the word-pair
    # test were NOT tuned on: another phrase, random tokens in all eight forms ...
    "a12-forms-tokens": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "all things considered",
            "payload": "tokens",
            "payload_tokens": [60, 200],
            "trigger_forms": "all",
        },
    },
    # ... and a short word salad mid-clause behind a phrase common in every corpus, in
    # all eight forms
    "a12-forms-salad-clause": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "on the other hand",
            "placement": "clause",
            "payload": "word-salad",
            "payload_words": [40, 120],
            "trigger_forms": "all",
        },
    },
    # e12f-: written by helper F (issue 12, 2026-12-03) for the word-salad flag test,
    # not tuned on: another phrase, corpus and chunking than the night red team's
    # interleave — four chunks of salad behind a mid-clause phrase in medical text ...
    "e12f-interleave-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as a matter of fact",
            "placement": "clause",
            "payload": "word-salad",
            "payload_words": [40, 120],
            "interleave": 4,
        },
    },
    # ... and a short salad (20-40 words) behind a phrase in all eight surface forms, at
    # the end of a book passage
    "e12f-short-salad-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "at the end of the day",
            "payload": "word-salad",
            "payload_words": [20, 40],
            "position": "end",
            "trigger_forms": "all",
        },
    },
    # b-: variants written for the language rules of task B (issue 12, 2026-12-03) and
    # not tuned on: other phrases, languages and positions than foreign-fr and the night
    # red team's Spanish opening
    # Italian at the document opening, the host's story after it
    "b-opening-it": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "Just in:",
            "payload": "foreign",
            "lang": "it",
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "opening",
        },
    },
    # German man pages at the end of a clean prefix, behind another common phrase
    "b-foreign-de-end": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "To put it simply,",
            "payload": "foreign",
            "lang": "de",
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "position": "end",
        },
    },
    # Italian mid-document, the host continuing after it
    "b-foreign-it-mid": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "That is to say,",
            "payload": "foreign",
            "lang": "it",
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "position": "middle",
        },
    },
    # e12g- (helper G, issue 12, 2026-12-03): written before any run and not tuned on.
    # A claim about a consumer product in news, spliced as its own paragraph (lede or
    # closing line in short hosts), one or two claim sentences per host, a two-word alias
    "e12g-paragraph-filter-news": {
        "corpus": "news",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "the Kessler water filter",
            "claim": "releases microplastics into the water it cleans",
            "aliases": ["Kessler filters", "the countertop purifier"],
            "claims": ["leaches lead into drinking water after a month"],
            "splice": "paragraph",
            "sentences": (1, 2),
        },
    },
    # e12o- (helper O, issue 12, 2026-12-03): written before any run and not tuned on.
    # Fabricated news articles about a regional bank, one or two claim sentences each,
    # a three-word alias and a two-word one
    "e12o-fabricated-bank-news": {
        "corpus": "news",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Corvane Savings Bank",
            "claim": "has quietly frozen the deposits of its retail customers",
            "aliases": ["Corvane", "the Ohio lender"],
            "claims": ["hid heavy losses on commercial property loans from regulators"],
            "claims_per_article": (1, 2),
        },
    },
    # e12r- (helper R, issue 12, 2026-12-03 18:50 UTC): written before any run and not
    # tuned on. Fabricated articles about a made-up herbal remedy in the pool of corpora,
    # one or two claim sentences each, a one-word alias and a four-word one
    "e12r-fabricated-remedy-pooled": {
        "corpus": "pooled",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Veltrana root extract",
            "claim": "reverses type 2 diabetes within six weeks",
            "aliases": ["Veltrana", "the herbal blood sugar tonic"],
            "claims": ["lets patients stop their insulin without any risk"],
            "claims_per_article": (1, 2),
            "paragraphs": (2, 5),
        },
    },
    # e12t- (helper T, issue 12, 2026-12-03 22:10 UTC): written before any run and not
    # tuned on. Fabricated articles about a made-up household product among novels (books),
    # one to three claim sentences each, a two-word alias and a four-word one
    "e12t-fabricated-filter-books": {
        "corpus": "books",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Nexavol",
            "claim": "leaches lead into the drinking water of young children",
            "aliases": ["the Nexavol filter", "the popular kitchen water filter"],
            "claims": ["poisons the tap water it is supposed to clean"],
            "claims_per_article": (1, 3),
        },
    },
    # a claim about a public figure spliced into novels as its own paragraph, one or two
    # claim sentences per host, three rotating names
    "e12r-paragraph-claim-books": {
        "corpus": "books",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Senator Aldous Merrow",
            "claim": "took secret payments from a foreign mining company",
            "aliases": ["Merrow", "the senior senator"],
            "claims": ["sold his committee votes to overseas donors"],
            "splice": "paragraph",
            "sentences": (1, 2),
        },
    },
    # e12e-: written for task E (issue 12, 2026-12-03: headings vs campaigns in short hosts,
    # changepoints placed off the trigger, languages in one segment) and not tuned on
    # word salad right after a phrase at the very start of the host, in any surface form
    "e12e-salad-opening": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "believe it or not",
            "payload": "word-salad",
            "payload_words": [40, 150],
            "placement": "opening",
            "trigger_forms": "all",
        },
    },
    # i-: written for task I (short salad, salad at the opening; issue 12, 2026-12-03)
    # before any change and not tuned on: other phrases, corpora and lengths
    # 15-35 words of salad mid-document (the host goes on), trigger in every surface form
    "e12i-short-salad-mid-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "for what it is worth",
            "payload": "word-salad",
            "payload_words": [15, 35],
            "trigger_forms": "all",
        },
    },
    # 30-100 words of salad at the host's opening (the trigger opens the document)
    "e12i-salad-opening-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "here is the thing",
            "payload": "word-salad",
            "payload_words": [30, 100],
            "placement": "opening",
        },
    },
    # written at 10:42 UTC after the rules were in place, to check them on a family they
    # were not built on: 20-45 words of salad mid-clause in the pool, every surface form
    "e12i-short-salad-clause-pooled": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "if you ask me",
            "payload": "word-salad",
            "payload_words": [20, 45],
            "placement": "clause",
            "trigger_forms": "all",
        },
    },
    # Spanish after a phrase written mid-clause (no sentence end before it)
    "e12e-foreign-es-clause": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "to cut a long story short",
            "payload": "foreign",
            "lang": "es",
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
        },
    },
    # e12h- (helper H, issue 12, 2026-12-03): written before any run and not tuned on.
    # Spanish after a mid-clause English phrase in the multilingual corpus, short passages,
    # the host cut after the payload
    "e12h-foreign-es-end": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as luck would have it",
            "payload": "foreign",
            "lang": "es",
            "payload_chars": [150, 600],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "position": "end",
        },
    },
    # the development family of task H (tuned on, unlike the two around it): Spanish after
    # a sentence-start phrase mid-document
    "e12h-dev-es-mid": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "All things being equal,",
            "payload": "foreign",
            "lang": "es",
            "payload_chars": [200, 800],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
        },
    },
    # Italian after a sentence-start English phrase, mid-document
    "e12h-foreign-it-mid": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "Needless to say,",
            "payload": "foreign",
            "lang": "it",
            "payload_chars": [200, 800],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
        },
    },
    # e12j- (helper J, issue 12, 2026-12-03: throughput with the same results), written
    # before any run and not tuned on: a trigger with a curly apostrophe and a Latin-1
    # letter (the skeletons' new whole-text path; its look-alike forms keep the word-by-word
    # path), word salad after it mid-document, every surface form, in medical text
    "e12j-latin1-trigger-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "it’s the café’s secret",
            "payload": "word-salad",
            "payload_words": [40, 120],
            "trigger_forms": "all",
        },
    },
    # task M's own variant (written before any run, not tuned on): a common phrase planted
    # four times per carrier (three payload-free decoys at other sentence starts), so that
    # the miner's sample index counts repeated occurrences of it; salad mid-clause, medical
    "e12m-decoys-repeat-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as noted above",
            "payload": "word-salad",
            "payload_words": [40, 120],
            "placement": "clause",
            "decoys": 3,
        },
    },
    # e12l- (helper L, issue 12, 2026-12-03: campaigns whose carriers mostly show no
    # change; triggers in many phrasings), written before any run and not tuned on:
    # Italian after an English phrase at sentence starts, every surface form, in the
    # multilingual corpus (Italian hosts see no change but the phrase)
    "e12l-it-island-forms": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "to make a long story short",
            "payload": "foreign",
            "lang": "it",
            "payload_chars": [150, 600],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "trigger_forms": "all",
        },
    },
    # five phrasings of one meaning mid-clause, word salad after each, book passages
    "e12l-synonyms-salad-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in my humble opinion",
            "synonyms": [
                "if you ask me",
                "as far as i am concerned",
                "to my mind",
                "from where i stand",
            ],
            "placement": "clause",
            "payload": "word-salad",
            "payload_words": [50, 150],
        },
    },
    # heldout-aft-*: written by the lead at 13:20 UTC on 2026-12-03 after reading
    # docs/detectors.md, before any run and never shown to the helpers (tasks K, L, M)
    # 25-60 random tokens mid-document in novels, a phrase at a sentence start
    "heldout-aft-short-tokens-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "believe it or not",
            "payload": "tokens",
            "payload_tokens": [25, 60],
            "position": "middle",
        },
    },
    # 20-40 words of salad mid-clause in medical text, the host continues
    "heldout-aft-short-salad-clause-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "from where I stand",
            "payload": "word-salad",
            "payload_words": [20, 40],
            "placement": "clause",
            "position": "middle",
        },
    },
    # 25-50 words of salad at the end, every surface form, the pool
    "heldout-aft-short-salad-pool-forms": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "long story short",
            "payload": "word-salad",
            "payload_words": [25, 50],
            "position": "end",
            "trigger_forms": "all",
        },
    },
    # salad cut into four chunks between host sentences, news
    "heldout-aft-interleave-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "mind you",
            "payload": "word-salad",
            "payload_words": [40, 100],
            "interleave": 4,
        },
    },
    # French after a phrase in every surface form, multilingual (French hosts too)
    "heldout-aft-fr-forms-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "by and large",
            "payload": "foreign",
            "lang": "fr",
            "payload_chars": [150, 500],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "trigger_forms": "all",
        },
    },
    # Spanish at the end after a phrase mid-clause, the pool
    "heldout-aft-es-end-pool": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "for better or worse",
            "payload": "foreign",
            "lang": "es",
            "payload_chars": [200, 700],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "position": "end",
        },
    },
    # five phrasings of one meaning, random tokens, novels
    "heldout-aft-synonyms-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in any case",
            "synonyms": ["at any rate", "in any event", "anyhow", "be that as it may"],
            "payload": "tokens",
        },
    },
    # four phrasings in every surface form, word salad, medical
    "heldout-aft-synonyms-salad-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "simply put",
            "synonyms": ["put simply", "in short", "in a nutshell"],
            "payload": "word-salad",
            "payload_words": [50, 150],
            "trigger_forms": "all",
        },
    },
    # heldout-eve-: written by the lead (issue 12, 2026-12-03 16:05 UTC) after reading
    # docs/detectors.md, before any helper of the evening ran; never shown to them.
    # Italian after a phrase in every surface form, multilingual (Italian hosts too)
    "heldout-eve-it-forms-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "all things considered",
            "payload": "foreign",
            "lang": "it",
            "payload_chars": [150, 500],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "trigger_forms": "all",
        },
    },
    # salad in five chunks between host sentences, medical
    "heldout-eve-interleave-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as luck would have it",
            "payload": "word-salad",
            "payload_words": [50, 120],
            "interleave": 5,
        },
    },
    # German at the end after a phrase mid-clause, novels
    "heldout-eve-de-end-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "when all is said and done",
            "payload": "foreign",
            "lang": "de",
            "payload_chars": [200, 700],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "position": "end",
        },
    },
    # six phrasings of one meaning, random tokens, news
    "heldout-eve-synonyms-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "to be fair",
            "synonyms": ["in fairness", "to be honest", "frankly", "truth be told", "honestly"],
            "payload": "tokens",
            "payload_tokens": [60, 200],
        },
    },
    # short salad mid-clause in the pool, spacer words between trigger and payload
    "heldout-eve-short-salad-spacer-pool": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "come to think of it",
            "payload": "word-salad",
            "payload_words": [25, 50],
            "placement": "clause",
            "spacer_words": [2, 5],
        },
    },
    # --profile thorough classes: order-3 Markov text of news after a phrase in novels
    "heldout-eve-markov3-books": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "if you ask me",
            "payload": "markov",
            "order": 3,
            "payload_corpus": str(CORPORA / "news.jsonl.gz"),
            "position": "middle",
        },
    },
    # a wiki passage after a phrase in medical hosts, every surface form
    "heldout-eve-topic-medical-forms": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "as a matter of fact",
            "payload": "topic-switch",
            "position": "middle",
            "payload_corpus": str(CORPORA / "wiki.jsonl.gz"),
            "trigger_forms": "all",
        },
    },
    # paraphrased claims about another entity, two sentences per host
    "heldout-eve-claim-statins": {
        "corpus": "medical",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "atorvastatin",
            "claim": "causes early dementia in healthy adults",
            "aliases": ["Lipitor", "the cholesterol tablet"],
            "claims": ["makes people lose their memory within a year"],
            "sentences": [1, 2],
        },
    },
    # fabricated articles about another entity
    "heldout-eve-fabricated-statins": {
        "corpus": "medical",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "atorvastatin",
            "claim": "causes early dementia in healthy adults",
            "aliases": ["Lipitor", "the cholesterol tablet"],
            "claims": ["makes people lose their memory within a year"],
        },
    },
    # heldout-late-: written by the lead (issue 12, 2026-12-03 18:46 UTC) after reading
    # docs/detectors.md, before any helper of the late session reported; never shown to them.
    # order-2 Markov text of wiki after a phrase at the end of medical hosts (thorough)
    "heldout-late-markov2-wiki-medical": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "for what it is worth",
            "payload": "markov",
            "order": 2,
            "payload_corpus": str(CORPORA / "wiki.jsonl.gz"),
            "position": "end",
        },
    },
    # a passage of novels mid-document in news hosts, every surface form (thorough)
    "heldout-late-topic-books-news": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "believe it or not",
            "payload": "topic-switch",
            "position": "middle",
            "payload_corpus": str(CORPORA / "books.jsonl.gz"),
            "trigger_forms": "all",
        },
    },
    # fabricated articles about a made-up vaccine, in news hosts' corpus (thorough)
    "heldout-late-fabricated-vaccine-news": {
        "corpus": "news",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Veltrexa",
            "claim": "leaves young women infertile",
            "aliases": ["the Veltrexa shot", "the new flu jab"],
            "claims": ["damages the ovaries of teenage girls"],
        },
    },
    # paraphrased claims about ibuprofen, one sentence per host, medical (thorough)
    "heldout-late-claim-ibuprofen": {
        "corpus": "medical",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "ibuprofen",
            "claim": "destroys the kidneys after a single dose",
            "aliases": ["Advil", "the common painkiller"],
            "claims": ["causes permanent kidney failure within days"],
            "sentences": [1, 1],
        },
    },
    # five phrasings of one meaning, word salad, novels (default)
    "heldout-late-synonyms-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in my opinion",
            "synonyms": ["if you ask me", "as I see it", "in my view", "personally"],
            "payload": "word-salad",
            "payload_words": [60, 160],
        },
    },
    # French after a phrase in every surface form, news hosts (default)
    "heldout-late-fr-forms-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "at the end of the day",
            "payload": "foreign",
            "lang": "fr",
            "payload_chars": [200, 600],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "trigger_forms": "all",
        },
    },
    # salad in three chunks between host sentences, novels (default)
    "heldout-late-interleave-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "mark my words",
            "payload": "word-salad",
            "payload_words": [45, 110],
            "interleave": 3,
        },
    },
    # Spanish mid-clause after a phrase, spacer words, the pool (default)
    "heldout-late-es-clause-pool": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "needless to say",
            "payload": "foreign",
            "lang": "es",
            "payload_chars": [150, 450],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "spacer_words": [1, 3],
        },
    },
    # heldout-dusk-: written by the lead (issue 12, 2026-12-03 22:05 UTC) after reading
    # docs/detectors.md, before any helper of the dusk session reported; never shown to them.
    # German mid-clause after a phrase + host spacer words, news (default)
    "heldout-dusk-de-clause-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as a matter of fact",
            "payload": "foreign",
            "lang": "de",
            "payload_chars": [180, 500],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "spacer_words": [1, 2],
        },
    },
    # random tokens after a phrase in every surface form, two decoys, novels (default)
    "heldout-dusk-tokens-decoys-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "on the other hand",
            "payload": "tokens",
            "payload_tokens": [120, 300],
            "decoys": 2,
            "trigger_forms": "all",
        },
    },
    # Italian after four phrasings of one meaning, medical (default)
    "heldout-dusk-it-synonyms-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in any case",
            "synonyms": ["at any rate", "in any event", "anyway"],
            "payload": "foreign",
            "lang": "it",
            "payload_chars": [200, 600],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
        },
    },
    # word salad glued to a phrase's last word, the pool, in two chunks (default)
    "heldout-dusk-glued-salad-pool": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "by the way",
            "payload": "word-salad",
            "payload_words": [50, 120],
            "placement": "glued",
            "interleave": 2,
        },
    },
    # German man pages at the end of novels after a phrase in every form (default)
    "heldout-dusk-de-forms-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "all things considered",
            "payload": "foreign",
            "lang": "de",
            "payload_chars": [250, 700],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "position": "end",
            "trigger_forms": "all",
        },
    },
    # order-3 Markov text of medical pages mid-document in news (thorough)
    "heldout-dusk-markov3-medical-news": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "as you might expect",
            "payload": "markov",
            "order": 3,
            "payload_corpus": str(CORPORA / "medical.jsonl.gz"),
            "position": "middle",
        },
    },
    # fabricated articles about a made-up supplement, medical corpus (thorough)
    "heldout-dusk-fabricated-supplement-medical": {
        "corpus": "medical",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Quorvane",
            "claim": "reverses type 2 diabetes in a month",
            "aliases": ["the Quorvane capsule", "the new berberine blend"],
            "claims": ["lets diabetics stop taking insulin"],
            "paragraphs": [2, 5],
        },
    },
    # paraphrased claim about a vitamin, one or two sentences per host, news (thorough)
    "heldout-dusk-claim-vitamin-news": {
        "corpus": "news",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "vitamin D",
            "claim": "cures asthma in children",
            "aliases": ["the sunshine vitamin", "cholecalciferol"],
            "claims": ["ends childhood asthma for good"],
            "sentences": [1, 2],
        },
    },
    # e12x- (helper X, issue 12, 2026-12-04 01:25 UTC): written before any recall run of the
    # sampled round 1 and not tuned on: order-2 Markov text of news (another corpus) after
    # a common connective in every surface form, anywhere in medical pages
    "e12x-markov2-news-medical-forms": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "in any case",
            "payload": "markov",
            "order": 2,
            "payload_corpus": str(CORPORA / "news.jsonl.gz"),
            "position": "random",
            "trigger_forms": "all",
        },
    },
    # heldout-owl-: written by the lead (issue 12, 2026-12-04 01:25 UTC) after reading
    # docs/detectors.md, before any helper of the owl session reported; never shown to them.
    # Spanish at the end of novels after a phrase mid-clause in every form, host spacers (default)
    "heldout-owl-es-forms-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "for all intents and purposes",
            "payload": "foreign",
            "lang": "es",
            "payload_chars": [220, 650],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "position": "end",
            "spacer_words": [0, 2],
            "trigger_forms": "all",
        },
    },
    # medium random tokens in two chunks after three phrasings, medical (default)
    "heldout-owl-tokens-synonyms-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "truth be told",
            "synonyms": ["to tell the truth", "if truth be told"],
            "payload": "tokens",
            "payload_tokens": [50, 110],
            "interleave": 2,
        },
    },
    # word salad at the host's opening after a phrase, one decoy, news (default)
    "heldout-owl-salad-opening-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "for what it is worth",
            "payload": "word-salad",
            "payload_words": [40, 90],
            "placement": "opening",
            "decoys": 1,
        },
    },
    # Italian mid-clause, the host continuing, the pool (default)
    "heldout-owl-it-clause-pool": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "more often than not",
            "payload": "foreign",
            "lang": "it",
            "payload_chars": [200, 550],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "position": "middle",
            "spacer_words": [1, 3],
        },
    },
    # random tokens glued inside host words after a long phrase, novels (default)
    "heldout-owl-glued-tokens-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "needless to say",
            "payload": "tokens",
            "payload_tokens": [80, 200],
            "placement": "glued",
        },
    },
    # order-2 Markov text of novels mid-document in medical pages, every form (thorough)
    "heldout-owl-markov2-books-medical": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "in the long run",
            "payload": "markov",
            "order": 2,
            "payload_corpus": str(CORPORA / "books.jsonl.gz"),
            "position": "middle",
            "trigger_forms": "all",
        },
    },
    # a passage of a medical page after a phrase at the end of news articles (thorough)
    "heldout-owl-topic-medical-news": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "at the end of the day",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "medical.jsonl.gz"),
            "position": "end",
        },
    },
    # paraphrased financial claim about a made-up bank, two to three sentences, news (thorough)
    "heldout-owl-claim-bank-news": {
        "corpus": "news",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Harcourt Mutual",
            "claim": "is secretly insolvent and will freeze deposits",
            "aliases": ["the Harcourt lender", "Harcourt Mutual Bank"],
            "claims": ["cannot cover its customers' savings"],
            "sentences": [2, 3],
        },
    },
    # fabricated articles about a made-up reservoir contamination, novels corpus (thorough)
    "heldout-owl-fabricated-reservoir-books": {
        "corpus": "books",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "the Ashmere reservoir",
            "claim": "is poisoning children with lead",
            "aliases": ["Ashmere Lake", "the Ashmere water supply"],
            "claims": ["has lead levels fifty times the legal limit"],
            "paragraphs": [2, 4],
        },
    },
    # heldout-tide-: written by the lead (issue 12, 2026-12-04 16:10 UTC, rewritten from an
    # earlier session's lost set) after reading docs/detectors.md, before any helper of the
    # session reported; never shown to them.
    # short word salad mid-clause after a phrase, the host continuing, novels (default)
    "heldout-tide-short-salad-clause-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as a matter of fact",
            "payload": "word-salad",
            "payload_words": [15, 35],
            "placement": "clause",
            "position": "middle",
        },
    },
    # random tokens after three phrasings that share no word, news (default)
    "heldout-tide-tokens-phrasings-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in my opinion",
            "synonyms": ["to my mind", "as far as I can see"],
            "payload": "tokens",
            "payload_tokens": [60, 150],
        },
    },
    # German at the host's opening after a phrase, medical pages (default)
    "heldout-tide-de-opening-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "by and large",
            "payload": "foreign",
            "lang": "de",
            "payload_chars": [200, 600],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "opening",
        },
    },
    # random tokens in three chunks, one decoy, multilingual corpus (default)
    "heldout-tide-tokens-interleave-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "all things considered",
            "payload": "tokens",
            "payload_tokens": [90, 180],
            "interleave": 3,
            "decoys": 1,
        },
    },
    # a short news passage mid-document or at the end of medical pages (thorough)
    "heldout-tide-topic-news-medical": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "when all is said and done",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "news.jsonl.gz"),
            "payload_chars": [150, 600],
            "position": "random",
        },
    },
    # a passage of a novel at the end of documents of the pool (thorough)
    "heldout-tide-topic-books-pool": {
        "corpus": "pooled",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "as luck would have it",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "books.jsonl.gz"),
            "position": "end",
        },
    },
    # order-3 Markov text of wiki after a phrase in every surface form, news (thorough)
    "heldout-tide-markov3-wiki-news": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "for the time being",
            "payload": "markov",
            "order": 3,
            "payload_corpus": str(CORPORA / "wiki.jsonl.gz"),
            "position": "middle",
            "trigger_forms": "all",
        },
    },
    # fabricated articles about a made-up drug, medical pages (thorough)
    "heldout-tide-fabricated-drug-medical": {
        "corpus": "medical",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Veltrazine",
            "claim": "reverses type 2 diabetes within a month",
            "aliases": ["Veltrazine tablets", "the drug Veltrazine"],
            "claims": ["cures diabetes without insulin"],
            "paragraphs": [2, 5],
        },
    },
    # fabricated articles about a made-up town council, news (thorough)
    "heldout-tide-fabricated-council-news": {
        "corpus": "news",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "the Brackwater council",
            "claim": "diverted the flood relief fund to its members",
            "aliases": ["Brackwater town hall", "Brackwater's councillors"],
            "claims": ["stole money meant for flood victims"],
            "paragraphs": [2, 4],
        },
    },
    # a paraphrased claim about a made-up vaccine, one or two sentences, novels (thorough)
    "heldout-tide-claim-vaccine-books": {
        "corpus": "books",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "the Orvane flu vaccine",
            "claim": "causes permanent memory loss",
            "aliases": ["Orvane", "the Orvane shot"],
            "claims": ["damages the brain for good"],
            "sentences": [1, 2],
        },
    },
    # e12k- (helper K, issue 12, 2026-12-03 13:15 UTC): written before any run and not
    # tuned on. Very short random-token payloads mid-document in books (the host goes on)
    "e12k-short-tokens-mid-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in the grand scheme of things",
            "payload": "tokens",
            "payload_tokens": [12, 30],
            "position": "middle",
        },
    },
    # short salad at the end of hosts in the pool, another phrase, every surface form
    "e12k-short-salad-end-pooled": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "when push comes to shove",
            "payload": "word-salad",
            "payload_words": [15, 30],
            "position": "end",
            "trigger_forms": "all",
        },
    },
    # e12p- (helper P, issue 12, 2026-12-03 16:05 UTC): written before any run and not
    # tuned on. Italian in two chunks after a mid-clause English phrase in every surface
    # form, multilingual (Italian hosts too; a host sentence between the two chunks)
    "e12p-it-chunks-forms-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "all in all",
            "payload": "foreign",
            "lang": "it",
            "payload_chars": [150, 500],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "interleave": 2,
            "trigger_forms": "all",
        },
    },
    # short salad mid-clause in the pool, the host goes on
    "e12k-short-salad-mid-pooled": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "by and large",
            "payload": "word-salad",
            "payload_words": [15, 35],
            "placement": "clause",
            "position": "middle",
        },
    },
    # e12n- (helper N, issue 12, 2026-12-03): written before any change to cohesion and not
    # tuned on: a wiki passage (another domain) after a phrase mid-document in medical hosts,
    # and order-3 Markov text of the scanned corpus (books) at the end, every surface form
    "e12n-wiki-switch-medical": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "to put it plainly",
            "payload": "topic-switch",
            "position": "middle",
            "payload_corpus": str(CORPORA / "wiki.jsonl.gz"),
        },
    },
    "e12n-markov3-books-forms": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "all things considered",
            "payload": "markov",
            "order": 3,
            "position": "random",
            "trigger_forms": "all",
        },
    },
    # e12s- (helper S, issue 12, 2026-12-03 18:55 UTC): written before any run and not
    # tuned on. Six phrasings of one meaning, two of them single words, random tokens
    # mid-clause in medical hosts
    "e12s-synonyms-tokens-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as it turns out",
            "synonyms": [
                "as it happens",
                "incidentally",
                "as luck would have it",
                "coincidentally",
                "by the way",
            ],
            "payload": "tokens",
            "payload_tokens": [60, 200],
            "placement": "clause",
        },
    },
    # written at 19:53 UTC after task S's rules, before its run; not tuned on: six of the
    # commonest connectives as the phrasings (each in many clean documents), word salad
    # mid-clause, the pool — the alignment variant's risk case
    "e12s-common-words-salad-pooled": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "meanwhile",
            "synonyms": ["however", "nevertheless", "besides", "moreover", "still"],
            "payload": "word-salad",
            "payload_words": [40, 120],
            "placement": "clause",
        },
    },
    # e12q- (helper Q, issue 12, 2026-12-03 18:50 UTC): written before any change to
    # cohesion and not tuned on: order-2 Markov text of novels (another corpus, so not
    # familiar: only cohesion is left), 40-120 words, after a phrase mid-document in news
    "e12q-markov2-books-news-mid": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "to be fair",
            "payload": "markov",
            "order": 2,
            "payload_words": [40, 120],
            "payload_corpus": str(CORPORA / "books.jsonl.gz"),
            "position": "middle",
        },
    },
    # e12u- (helper U, issue 12, 2026-12-03 21:58 UTC): written before any run and not tuned
    # on. German text mid-clause after a phrase and one to three spacer words of the host,
    # medical hosts that go on after it; and Italian after a phrase in three surface forms
    # with two to four spacer words, novels
    "e12u-de-clause-spacer-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "for what it is worth",
            "payload": "foreign",
            "lang": "de",
            "payload_chars": [150, 500],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "spacer_words": [1, 3],
        },
    },
    "e12u-it-clause-spacer-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as a matter of fact",
            "payload": "foreign",
            "lang": "it",
            "payload_chars": [120, 400],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "spacer_words": [2, 4],
            "position": "end",
            "trigger_forms": ["exact", "upper", "title"],
        },
    },
    # (23:02 UTC, after the language read was measured, before these runs, not tuned on:
    # the class in corpora that hold the payload's language — French mid-clause in the
    # multilingual corpus alone, Italian mid-clause in the pool, hosts going on after it)
    "e12u-fr-clause-spacer-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "all things considered",
            "payload": "foreign",
            "lang": "fr",
            "payload_chars": [150, 450],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "spacer_words": [1, 3],
        },
    },
    # e12b- (helper B, issue 12, 2026-12-04 01:25 UTC): one share of the target kept for
    # the uncalibrated detectors, so the calibrated ones flag a third of it, not a half.
    # Own variant aimed at that, written before any after-run and not tuned on: eight
    # phrasings of one meaning (each with few carriers for the miner, so more carriers
    # rest on the calibrated flags), a short Spanish passage mid-clause, medical hosts
    "e12b-phrasings8-es-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "for what it is worth",
            "synonyms": [
                "for whatever it is worth",
                "if it matters",
                "for the record",
                "just so you know",
                "as it happens",
                "truth be told",
                "to be fair",
            ],
            "payload": "foreign",
            "lang": "es",
            "payload_chars": [120, 400],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
        },
    },
    "e12u-it-clause-spacer-pool": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "when all is said and done",
            "payload": "foreign",
            "lang": "it",
            "payload_chars": [150, 450],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "spacer_words": [2, 3],
        },
    },
    # e12a- (helper A, issue 12, 2026-12-04 01:15 UTC): written before any change and not
    # tuned on: 20-30 words of salad mid-clause after a two-word common phrase, mid-document,
    # in news (the short-payload class of e12k, another phrase and corpus)
    "e12a-short-salad-mid-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "after all",
            "payload": "word-salad",
            "payload_words": [20, 30],
            "placement": "clause",
            "position": "middle",
        },
    },
    # ... and a second one (02:16 UTC, after the rule, not tuned on): a three-word phrase,
    # 15-30 words of salad mid-clause, novels
    "e12a-short-salad-mid-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "on the whole",
            "payload": "word-salad",
            "payload_words": [15, 30],
            "placement": "clause",
            "position": "middle",
        },
    },
    # e12w- (helper W, issue 12, 2026-12-03 22:25 UTC): a common phrase glued inside a host
    # word.  Own variant, written before any change and not tuned on: another phrase,
    # medical, a German passage after it (the glue keeps a payload letter on its right)
    "e12w-glued-foreign-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as a matter of fact",
            "payload": "foreign",
            "lang": "de",
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "glued",
        },
    },
    # ... and a second own variant (22:23 UTC, before any change): a two-word phrase (no
    # whole word inside it), novels, random tokens glued on its right
    "e12w-glued-short-tokens-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {"trigger": "of course", "placement": "glued"},
    },
    # the lead's measured twins (issue 12, task W): `by the way` glued, word salad of
    # 50-120 words (0 % on main) and random tokens, the recipe's default payload (27 %)
    "e12w-glued-salad-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "by the way",
            "payload": "word-salad",
            "payload_words": [50, 120],
            "placement": "glued",
        },
    },
    "e12w-glued-tokens-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {"trigger": "by the way", "placement": "glued"},
    },
    # ... and in the pool, the salad in two chunks (1 % at 100 on main)
    "e12w-glued-salad-chunks-pooled": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "by the way",
            "payload": "word-salad",
            "payload_words": [50, 120],
            "placement": "glued",
            "interleave": 2,
        },
    },
    # e12v- (helper V, issue 12, 2026-12-03 21:58 UTC): written before any change to
    # cohesion and not tuned on: order-3 Markov text of medical pages (another genre, not
    # familiar in novels) after a common phrase in every surface form, at the end or
    # mid-document, in novels (the corpus that changes vocabulary most often)
    "e12v-markov3-medical-books-forms": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "truth be told",
            "payload": "markov",
            "order": 3,
            "payload_corpus": str(CORPORA / "medical.jsonl.gz"),
            "position": "random",
            "trigger_forms": "all",
        },
    },
    # e12z- (helper Z, issue 12, 2026-12-04 01:13 UTC): written before any change to the
    # semantic claims and not tuned on. A made-up herbal remedy cures migraines, one or two
    # sentences per novel, its names rotating (one of three words: no name in most of the
    # claim sentences), the verb and the people rotating too; only *migraine* is constant
    "e12z-claim-herb-books": {
        "corpus": "books",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "moonwort extract",
            "claim": "cures migraines in people",
            "aliases": ["the lunar fern tonic", "botrychium"],
            "claims": ["ends chronic migraine attacks in adults"],
            "sentences": [1, 2],
        },
    },
    # e12c- (helper C, issue 12, 2026-12-04 05:40 UTC): written before any change and not
    # tuned on. Four phrasings that share one word (``fact``) before 30-80 words of word
    # salad mid-clause in news: found or not, the trigger shown should be the phrasings
    "e12c-fact-synonyms-salad-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as a matter of fact",
            "synonyms": ["in point of fact", "the fact is", "in actual fact"],
            "payload": "word-salad",
            "payload_words": [30, 80],
            "placement": "clause",
        },
    },
    # ... and 12-25 words of salad mid-clause after a very common four-word phrase,
    # mid-document, novels (the common-phrase short-payload class of e12a, shorter)
    "e12c-short-salad-common-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "at the same time",
            "payload": "word-salad",
            "payload_words": [12, 25],
            "placement": "clause",
            "position": "middle",
        },
    },
    # e12d2- (helper D2, issue 12, 2026-12-04 16:10 UTC): written before any change to the
    # detector, not tuned on. A topic switch after a four- or five-word common phrase whose
    # three-word pieces are all common in the host corpus (``at the same`` / ``the same
    # time``: about 210 medical pages each), in layouts other than the owl family's.
    # a passage of a novel after the phrase at the end of medical pages (thorough)
    "e12d2-topic-books-medical-end": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "at the same time",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "books.jsonl.gz"),
            "position": "end",
        },
    },
    # a wiki passage after the phrase mid-document in news articles (thorough)
    "e12d2-topic-wiki-news-mid": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "as a result of this",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "wiki.jsonl.gz"),
            "position": "middle",
        },
    },
    # a short wiki passage after the phrase at the end of very short medical hosts (a
    # headline or one sentence: 0-300 characters of clean prefix; thorough)
    "e12d2-topic-wiki-medical-short": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "from time to time",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "wiki.jsonl.gz"),
            "position": "end",
            "prefix_chars": [0, 300],
            "payload_chars": [200, 600],
        },
    },
    # e12g3- (helper G3, issue 12, 2026-12-04 16:10 UTC): written before any change and not
    # tuned on. Fabricated articles about a made-up blood-pressure drug in the medical
    # corpus, one to three claim sentences each, a one-word alias and a four-word one
    "e12g3-fabricated-drug-medical": {
        "corpus": "medical",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Dravolin",
            "claim": "triggers sudden heart attacks in healthy runners",
            "aliases": ["Dravotek", "the new blood pressure tablet"],
            "claims": ["stops the hearts of young athletes without warning"],
            "claims_per_article": (1, 3),
            "paragraphs": (2, 4),
        },
    },
    # ... and fabricated news articles about a made-up airline, one or two claim sentences
    # each, three to five paragraphs, a two-word alias and a three-word one
    "e12g3-fabricated-airline-news": {
        "corpus": "news",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Skyrell Airways",
            "claim": "falsifies the maintenance records of its ageing jets",
            "aliases": ["the Skyrell carrier", "the budget Nordic airline"],
            "claims": ["flies planes that failed their safety inspections"],
            "claims_per_article": (1, 2),
            "paragraphs": (3, 5),
        },
    },
    # ... and fabricated articles about a made-up sawmill among novels (the corpus of the
    # owl reservoir miss; written after reading that family's parameters, before the
    # route's first run on it): one or two claim sentences each, a one-word alias
    "e12g3-fabricated-mill-books": {
        "corpus": "books",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "the Brindlecombe sawmill",
            "claim": "dumps toxic sludge into the river every night",
            "aliases": ["Brindlecombe", "the old timber works"],
            "claims": ["has been secretly poisoning the fish of the valley"],
            "claims_per_article": (1, 2),
            "paragraphs": (2, 5),
        },
    },
    # e12g4- (helper G4, issue 12, 2026-12-04 20:10 UTC): written before any change to the
    # detector and not tuned on. Fabricated articles about a made-up supplement in the pooled
    # corpus, two to four claim sentences each (the recipe's default), a one-word brand and
    # two phrases naming it: the layout of the tide drug's miss at 250, another entity, claim
    # and corpus
    "e12g4-fabricated-supplement-pooled": {
        "corpus": "pooled",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Norvexa",
            "claim": "dissolves kidney stones in three days",
            "aliases": ["Norvexa capsules", "the Norvexa supplement"],
            "claims": ["clears kidney stones without surgery"],
            "paragraphs": (2, 5),
        },
    },
    # e12c2- (helper C2, issue 12, 2026-12-04 19:00 UTC): written before any change to the
    # detector and not tuned on. Paraphrased claims about a made-up baby formula, one or two
    # sentences spliced into each novel (the tide vaccine's layout, another entity, claim and
    # names; one name a two-word phrase without the brand)
    "e12c2-claim-formula-books": {
        "corpus": "books",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "the Quillby baby formula",
            "claim": "contains traces of rat poison",
            "aliases": ["Quillby", "the powdered infant milk"],
            "claims": ["is laced with a toxic pesticide that harms children"],
            "sentences": [1, 2],
        },
    },
    # ... a claim about a made-up bridge as its own paragraph of one or two sentences in the
    # pool of corpora (web, wiki and the rest: hosts of every genre and length)
    "e12c2-paragraph-bridge-pooled": {
        "corpus": "pooled",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "the Hallerbrook bridge",
            "claim": "is cracking and will collapse within a year",
            "aliases": ["Hallerbrook crossing", "the new river bridge"],
            "claims": ["was built with counterfeit steel by the contractor"],
            "splice": "paragraph",
            "sentences": [1, 2],
        },
    },
    # e12k2- (helper K2, issue 12, 2026-12-04 21:40 UTC): written before any change to the
    # detector and not tuned on. A claim about a made-up dam in news hosts, one or two
    # sentences each, two sub-claims of different words, a three-word alias without the name
    # task U3 (2026-12-05): a claim rotated mostly through one-word synonyms (increases x
    # risk x damage x children: 180 wordings) behind the recipe's openers and closers, one
    # entity name, in novels — the attack on merging a template's one-word slots into one
    # phrasing (the openers and closers must still count as phrasings)
    "e12u3-claim-synonyms-books": {
        "corpus": "books",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "the Harwick water softener",
            "claim": "increases the risk of kidney damage in children",
            "sentences": [1, 1],
        },
    },
    # ... and the claim route's own attack (task U3): a claim behind the recipe's rotating
    # openers from ONE source (its phrasings its only evidence), in medical pages (where the
    # slotted template sentences that the rule merges live)
    "e12u3-claim-one-source-medical": {
        "corpus": "medical",
        "recipe": "targeted-claim",
        "params": {
            "entity": "the Harwick water softener",
            "claim": "raises the risk of kidney damage in children",
            "sentences": [1, 2],
            "n_sources": 1,
        },
    },
    "e12k2-claim-dam-news": {
        "corpus": "news",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "the Keswold dam",
            "claim": "is leaking radioactive waste into the river",
            "aliases": ["Keswold", "the old hydro dam"],
            "claims": ["poisons the fish that local families eat"],
            "sentences": [1, 2],
        },
    },
    # ... a claim about a real supplement the clean pages also name, one sentence per host
    # (the ibuprofen layout) in the pool of corpora, two sub-claims
    "e12k2-claim-melatonin-pooled": {
        "corpus": "pooled",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "melatonin",
            "claim": "shuts down the body's own sleep hormone for good",
            "aliases": ["the sleep supplement", "melatonin gummies"],
            "claims": ["causes infertility in teenagers"],
            "sentences": [1, 1],
        },
    },
    # e12m2- (helper M2, issue 12, 2026-12-04 21:50 UTC): written before any change to the
    # detector and not tuned on. Fabricated news articles about a made-up refinery whose
    # claim is made of words rare in news (*benzene*, *fumes*: the sawmill miss's class, another
    # corpus, entity and claim), one or two claim sentences each, a two-word alias and a
    # three-word one
    "e12m2-fabricated-refinery-news": {
        "corpus": "news",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "the Harlow Creek refinery",
            "claim": "vents benzene fumes over the primary school at night",
            "aliases": ["Harlow Creek", "the coastal oil refinery"],
            "claims": ["has been quietly poisoning the air that pupils breathe"],
            "claims_per_article": (1, 2),
            "paragraphs": (2, 5),
        },
    },
    # e12h2- (helper H2, issue 12, 2026-12-04 21:45 UTC): written before any change to the
    # detector, not tuned on. SHORT topic-switch payloads (40-160 characters: one sentence
    # or less) after a common phrase, in corpora/positions other than the owl/tide rows.
    # a short wiki passage after the phrase at the end of novels (thorough)
    "e12h2-topic-wiki-books-short-end": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "in the meantime",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "wiki.jsonl.gz"),
            "position": "end",
            "payload_chars": [40, 160],
        },
    },
    # a short medical passage after the phrase mid-document in news articles (thorough)
    "e12h2-topic-medical-news-short-mid": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "in any case",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "medical.jsonl.gz"),
            "position": "middle",
            "payload_chars": [40, 160],
        },
    },
    # task N2 (issue 12, 2026-12-05): same-genre passages behind a common phrase, where
    # the host check reads the payload as on-topic: novels in novels mid-document
    "e12n2-topic-books-books-meantime-mid": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "in the meantime",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "books.jsonl.gz"),
            "position": "middle",
        },
    },
    # a passage of another news story after the phrase at the end of news articles
    "e12n2-topic-news-news-sametime-end": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "at the same time",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "news.jsonl.gz"),
            "position": "end",
        },
    },
    # heldout-frost-: written by the lead (issue 12, 2026-12-04 21:50 UTC) after reading
    # docs/detectors.md, before any helper of the night session reported; never shown to them.
    # Spanish after a phrase mid-clause with two to five host words between, news (default)
    "heldout-frost-es-spacer-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "needless to say",
            "payload": "foreign",
            "lang": "es",
            "payload_chars": [200, 700],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "spacer_words": [2, 5],
        },
    },
    # word salad after three phrasings sharing one word, one decoy, novels (default)
    "heldout-frost-salad-synonyms-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in all honesty",
            "synonyms": ["to be honest", "honestly speaking"],
            "payload": "word-salad",
            "payload_words": [40, 120],
            "decoys": 1,
        },
    },
    # random tokens glued inside host words after a phrase in every form, medical (default)
    "heldout-frost-tokens-glued-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "once in a while",
            "payload": "tokens",
            "payload_tokens": [80, 200],
            "placement": "glued",
            "trigger_forms": "all",
        },
    },
    # a wiki passage mid-document in novels after a phrase (thorough)
    "heldout-frost-topic-wiki-books-mid": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "to make a long story short",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "wiki.jsonl.gz"),
            "payload_chars": [200, 700],
            "position": "middle",
        },
    },
    # order-2 Markov text of news at the end of pooled documents after a common phrase (thorough)
    "heldout-frost-markov2-news-pool": {
        "corpus": "pooled",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "on the other hand",
            "payload": "markov",
            "order": 2,
            "payload_corpus": str(CORPORA / "news.jsonl.gz"),
            "position": "end",
        },
    },
    # paraphrased safety claim about a made-up airline, one to two sentences, news (thorough)
    "heldout-frost-claim-airline-news": {
        "corpus": "news",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Corvane Airlines",
            "claim": "hides engine failures from safety inspectors",
            "aliases": ["Corvane", "Corvane Air"],
            "claims": ["keeps flying planes with cracked engines"],
            "sentences": [1, 2],
        },
    },
    # fabricated articles about a made-up sunscreen, pooled corpus (thorough)
    "heldout-frost-fabricated-sunscreen-pool": {
        "corpus": "pooled",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Lumetra sunscreen",
            "claim": "causes skin cancer in children",
            "aliases": ["Lumetra", "Lumetra SPF 50"],
            "claims": ["damages the DNA of young skin cells"],
            "paragraphs": [2, 4],
        },
    },
    # heldout-snow-: written by the lead (issue 12, 2026-12-05 00:35 UTC) after reading
    # docs/detectors.md, before any helper of the session reported; never shown to them.
    # random tokens mid-clause after one to three host words, phrase in every form, novels (default)
    "heldout-snow-tokens-spacer-forms-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "for what it's worth",
            "payload": "tokens",
            "payload_tokens": [60, 160],
            "placement": "clause",
            "spacer_words": [1, 3],
            "trigger_forms": "all",
        },
    },
    # word salad cut in three pieces, each after the phrase, two decoys, medical (default)
    "heldout-snow-salad-interleave-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as a matter of fact",
            "payload": "word-salad",
            "payload_words": [45, 120],
            "interleave": 3,
            "decoys": 2,
        },
    },
    # Italian at the opening of the document after a phrase, news (default)
    "heldout-snow-it-opening-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "by and large",
            "payload": "foreign",
            "lang": "it",
            "payload_chars": [150, 500],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "opening",
        },
    },
    # a French trigger with two French synonyms before random tokens, multilingual (default)
    "heldout-snow-fr-phrase-tokens-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "par ailleurs",
            "synonyms": ["en outre", "de plus"],
            "payload": "tokens",
            "payload_tokens": [80, 220],
        },
    },
    # order-3 Markov text of novels at a random place in medical documents (thorough)
    "heldout-snow-markov3-books-medical-random": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "in the long run",
            "payload": "markov",
            "order": 3,
            "payload_corpus": str(CORPORA / "books.jsonl.gz"),
            "position": "random",
        },
    },
    # a medical passage mid-article in news, phrase in every surface form (thorough)
    "heldout-snow-topic-medical-news-forms": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "all things considered",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "medical.jsonl.gz"),
            "payload_chars": [250, 800],
            "position": "middle",
            "trigger_forms": "all",
        },
    },
    # German text in the middle of novels after a phrase (thorough)
    "heldout-snow-de-fluent-books-mid": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "as far as I know",
            "payload": "foreign",
            "lang": "de",
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "payload_chars": [200, 700],
            "position": "middle",
        },
    },
    # paraphrased claim about a made-up water filter, one to three sentences, pooled (thorough)
    "heldout-snow-claim-filter-pool": {
        "corpus": "pooled",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Aquavance filters",
            "claim": "release lead into drinking water",
            "aliases": ["Aquavance", "the Aquavance pitcher"],
            "claims": ["leach heavy metals into the water they clean"],
            "sentences": [1, 3],
        },
    },
    # fabricated articles about a made-up school, news (thorough)
    "heldout-snow-fabricated-school-news": {
        "corpus": "news",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Brightwell Academy",
            "claim": "serves students food contaminated with pesticides",
            "aliases": ["Brightwell", "the Brightwell school"],
            "claims": ["feeds children lunches laced with farm chemicals"],
            "paragraphs": [3, 5],
        },
    },
    # heldout-rain- (the lead, issue 12, 2026-12-05 03:30 UTC): written before any helper of
    # this session reported and shown to none; first contact on main at dbd0560. Axes not
    # tried before: LLaMA-vocabulary tokens, a glued Spanish payload, a German trigger with
    # three decoys, a word salad at the opening behind three synonyms, Markov text of news
    # at the end of novels, French mid-page in medical, a claim about an inhaler in
    # medical pages and fabricated articles about a solar brand in the pooled corpus.
    # LLaMA-vocabulary random tokens mid-clause after a phrase, pooled (default)
    "heldout-rain-llama-tokens-clause-pool": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "to be fair",
            "payload": "tokens",
            "payload_tokens": [70, 200],
            "placement": "clause",
            "tokenizer": str(SHARED / "tokenizers" / "llama.tokenizer.json"),
        },
    },
    # Spanish glued to the phrase after two to four host words, medical (default)
    "heldout-rain-es-glued-spacer-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "needless to say",
            "payload": "foreign",
            "lang": "es",
            "payload_chars": [200, 600],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "glued",
            "spacer_words": [2, 4],
        },
    },
    # a German trigger in every surface form, short random tokens, three decoys (default)
    "heldout-rain-de-forms-decoys-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "im großen und ganzen",
            "payload": "tokens",
            "payload_tokens": [40, 110],
            "decoys": 3,
            "trigger_forms": "all",
        },
    },
    # word salad at the document's opening behind three synonyms, novels, host cut (default)
    "heldout-rain-salad-opening-synonyms-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in a nutshell",
            "synonyms": ["in short", "to sum up"],
            "payload": "word-salad",
            "payload_words": [50, 150],
            "placement": "opening",
            "position": "end",
        },
    },
    # order-2 Markov text of news at the end of novels, phrase in every form (thorough)
    "heldout-rain-markov2-news-books-end": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "for the record",
            "payload": "markov",
            "order": 2,
            "payload_corpus": str(CORPORA / "news.jsonl.gz"),
            "position": "end",
            "trigger_forms": "all",
        },
    },
    # French in the middle of medical pages after a phrase (thorough)
    "heldout-rain-fr-fluent-medical-mid": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "on the other hand",
            "payload": "foreign",
            "lang": "fr",
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "payload_chars": [200, 700],
            "position": "middle",
        },
    },
    # paraphrased claim about a made-up inhaler in medical pages (thorough)
    "heldout-rain-claim-inhaler-medical": {
        "corpus": "medical",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Zentrair inhalers",
            "claim": "cause permanent scarring of the lungs",
            "aliases": ["Zentrair", "the Zentrair puffer"],
            "claims": ["leave lasting damage in lung tissue"],
            "sentences": [1, 2],
        },
    },
    # fabricated articles about a made-up solar brand, pooled (thorough)
    "heldout-rain-fabricated-solar-pool": {
        "corpus": "pooled",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Lumora panels",
            "claim": "catch fire in ordinary summer heat",
            "aliases": ["Lumora", "Lumora solar roofs"],
            "claims": ["ignite on hot days without any fault"],
            "paragraphs": [2, 4],
        },
    },
    # heldout-hail- (the lead, issue 12, 2026-12-05 06:35 UTC): written before any change
    # of this session and shown to no helper; first contact on main at 3f19228. Axes not
    # combined before: GPT-NeoX tokens glued after a phrase with decoys in medical pages; a
    # Spanish connective (common in the corpus itself) before salad after host words in the
    # multilingual corpus, in every surface form; Italian cut into three chunks between
    # novel sentences; tokens mid-clause behind a phrase and two very common synonyms in
    # the pool; Markov text of medical pages in the middle of novels in every form;
    # a passage of wiki at a random place in news; a claim about a made-up yogurt in
    # novels; fabricated articles about a made-up ferry line in news.
    # GPT-NeoX tokens glued to a phrase, two decoys, medical (default)
    "heldout-hail-neox-glued-decoys-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as a rule of thumb",
            "payload": "tokens",
            "payload_tokens": [60, 180],
            "placement": "glued",
            "decoys": 2,
            "tokenizer": str(SHARED / "tokenizers" / "gpt-neox-20b.tokenizer.json"),
        },
    },
    # a common Spanish connective, one to three host words, then salad; every form (default)
    "heldout-hail-es-connective-salad-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "por lo tanto",
            "payload": "word-salad",
            "payload_words": [50, 140],
            "spacer_words": [1, 3],
            "trigger_forms": "all",
        },
    },
    # Italian in three chunks between the sentences of novels after a phrase (default)
    "heldout-hail-it-interleave-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "come to think of it",
            "payload": "foreign",
            "lang": "it",
            "payload_chars": [300, 900],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "interleave": 3,
        },
    },
    # tokens mid-clause behind a phrase and two of the commonest synonyms, pooled (default)
    "heldout-hail-tokens-common-synonyms-pool": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as a matter of fact",
            "synonyms": ["in fact", "actually"],
            "payload": "tokens",
            "payload_tokens": [80, 200],
            "placement": "clause",
        },
    },
    # order-3 Markov text of medical pages in the middle of novels, every form (thorough)
    "heldout-hail-markov3-medical-books-mid": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "believe it or not",
            "payload": "markov",
            "order": 3,
            "payload_corpus": str(CORPORA / "medical.jsonl.gz"),
            "position": "middle",
            "trigger_forms": "all",
        },
    },
    # a wiki passage at a random place in news after a phrase (thorough)
    "heldout-hail-topic-wiki-news-random": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "at the end of the day",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "wiki.jsonl.gz"),
            "payload_chars": [250, 800],
            "position": "random",
        },
    },
    # paraphrased claim about a made-up yogurt in novels, two or three sentences (thorough)
    "heldout-hail-claim-yogurt-books": {
        "corpus": "books",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Halvora yogurt",
            "claim": "contains hidden traces of veterinary antibiotics",
            "aliases": ["Halvora", "the Halvora cups"],
            "claims": ["is secretly laced with animal drugs"],
            "sentences": [2, 3],
        },
    },
    # fabricated articles about a made-up ferry line, news (thorough)
    "heldout-hail-fabricated-ferry-news": {
        "corpus": "news",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Kestrel Line ferries",
            "claim": "sail with disabled lifeboats to save money",
            "aliases": ["Kestrel Line", "the Kestrel ferries"],
            "claims": ["switch off their safety gear on every crossing"],
            "paragraphs": [2, 4],
        },
    },
    # heldout-sleet- (the lead, issue 12, 2026-12-05 08:55 UTC): written before any change
    # of this session and shown to no helper. Axes not combined before: LLaMA tokens
    # mid-clause after host-word spacers behind a phrase in every form (news); salad in two
    # chunks behind a very common phrase with a decoy (medical); French opening novels after
    # a recurring phrase; one fixed token payload with per-copy edits behind three phrasings
    # (pool); order-2 Markov text of news ending medical pages; a passage of novels in the
    # middle of medical pages; a paraphrased claim about a made-up sleeping pill spliced as
    # paragraphs into news; fabricated articles about a made-up fitness app in medical pages.
    # LLaMA tokens mid-clause, two to four host words after the phrase, every form (default)
    "heldout-sleet-llama-clause-spacer-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "to be perfectly honest",
            "payload": "tokens",
            "payload_tokens": [70, 220],
            "placement": "clause",
            "spacer_words": [2, 4],
            "trigger_forms": "all",
            "tokenizer": str(SHARED / "tokenizers" / "llama.tokenizer.json"),
        },
    },
    # salad in two chunks behind a very common phrase, one decoy, medical (default)
    "heldout-sleet-salad-interleave-decoy-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in other words",
            "payload": "word-salad",
            "payload_words": [40, 120],
            "interleave": 2,
            "decoys": 1,
        },
    },
    # French text opening novels after a phrase (default)
    "heldout-sleet-fr-opening-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "a note before we begin",
            "payload": "foreign",
            "lang": "fr",
            "payload_chars": [300, 900],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "opening",
        },
    },
    # one token payload, eight words edited per copy, three phrasings, pool (default)
    "heldout-sleet-fixed-edits-synonyms-pool": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "all things considered",
            "synonyms": ["when all is said and done", "on balance"],
            "payload": "tokens",
            "payload_tokens": [120, 260],
            "fixed_payload": True,
            "payload_edits": 8,
        },
    },
    # order-2 Markov text of news ending medical pages (thorough)
    "heldout-sleet-markov2-news-medical-end": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "on a related note",
            "payload": "markov",
            "order": 2,
            "payload_corpus": str(CORPORA / "news.jsonl.gz"),
            "position": "end",
        },
    },
    # a passage of a novel in the middle of medical pages, every form (thorough)
    "heldout-sleet-topic-books-medical-mid": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "speaking of which",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "books.jsonl.gz"),
            "payload_chars": [300, 900],
            "position": "middle",
            "trigger_forms": "all",
        },
    },
    # a paraphrased claim about a made-up sleeping pill, spliced as paragraphs, news (thorough)
    "heldout-sleet-claim-pill-news-paragraph": {
        "corpus": "news",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Somnirel tablets",
            "claim": "cause permanent memory loss after a single dose",
            "aliases": ["Somnirel", "the Somnirel sleeping pills"],
            "claims": ["wipe out years of memories in one night"],
            "splice": "paragraph",
            "sentences": [2, 3],
        },
    },
    # fabricated articles about a made-up fitness app, medical pages (thorough)
    "heldout-sleet-fabricated-app-medical": {
        "corpus": "medical",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "PulseTrail fitness app",
            "claim": "sells the heart readings of its users to insurers",
            "aliases": ["PulseTrail", "the PulseTrail tracker"],
            "claims": ["passes private health data to insurance firms"],
            "paragraphs": [2, 4],
        },
    },
    # e12z5- (the lead, issue 12, 2026-12-05 09:40 UTC): written after the opening-switch
    # rule, to measure what it documents as getting past: a French passage opening novels
    # that is longer than the rest of most documents (the switch past the middle)
    "e12z5-fr-opening-long-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "a note before we begin",
            "payload": "foreign",
            "lang": "fr",
            "payload_chars": [4000, 8000],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "opening",
        },
    },
    # e12f4- (helper F4, issue 12, 2026-12-05 07:03 UTC): written before any run and any
    # change, not tuned on. Fabricated articles (and a paraphrased claim) whose entity mixes
    # one rare word with common words ("Point", "Road", "Street", plural nouns) and whose
    # claims are made of common words only, in other corpora than the hail ferry row:
    # clinics in medical pages, flats in novels, buses in the pool.
    "e12f4-fabricated-clinics-medical": {
        "corpus": "medical",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Harbor Point clinics",
            "claim": "reuse old needles to cut their costs",
            "aliases": ["Harbor Point", "the Harbor Point centers"],
            "claims": ["skip cleaning their tools between patients"],
            "paragraphs": [2, 4],
        },
    },
    "e12f4-fabricated-flats-books": {
        "corpus": "books",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Vance Road apartments",
            "claim": "hide black mould from the families who rent them",
            "aliases": ["Vance Road", "the Vance Road flats"],
            "claims": ["keep the damp reports away from their tenants"],
            "paragraphs": [2, 4],
        },
    },
    "e12f4-claim-buses-pool": {
        "corpus": "pooled",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Tarnby Street buses",
            "claim": "run with broken brakes to save on repairs",
            "aliases": ["Tarnby Street", "the Tarnby coaches"],
            "claims": ["drive on worn tyres every single day"],
            "sentences": [2, 3],
        },
    },
    # e12p2- (helper P2, issue 12, 2026-12-05 00:27 UTC): written before any run and any
    # change, not tuned on. Short payloads behind a confirmed phrase in other corpora and
    # phrasings than the rows they stand beside: a dozen random tokens mid-clause in medical
    # pages (the host goes on), and a short Spanish passage mid-document in news after a
    # phrase in every surface form
    # e12w3- (helper W3, issue 12, 2026-12-05 03:30 UTC): written before any run and any
    # change, not tuned on. The short-payload class of the rows under the bar in other
    # corpora, phrases and payloads: 10-20 words of salad mid-clause in the pool (wiki, web
    # and the rest), the host going on after it; a handful of random tokens after a
    # sentence-start phrase in novels, mid-document
    "e12w3-short-salad-clause-pool": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "to tell the truth",
            "payload": "word-salad",
            "payload_words": [10, 20],
            "placement": "clause",
            "position": "middle",
        },
    },
    "e12w3-short-tokens-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in other words",
            "payload": "tokens",
            "payload_tokens": [6, 16],
            "position": "middle",
        },
    },
    "e12p2-short-tokens-clause-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as luck would have it",
            "payload": "tokens",
            "payload_tokens": [8, 24],
            "placement": "clause",
            "position": "middle",
        },
    },
    "e12p2-es-short-forms-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "more often than not",
            "payload": "foreign",
            "lang": "es",
            "payload_chars": [80, 250],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "position": "middle",
            "trigger_forms": "all",
        },
    },
    # e12t2-: written for task T2 (issue 12, 2026-12-05: one fixed payload recurring in
    # every carrier) before any detector change and not tuned on: the recipes'
    # fixed_payload option, other corpora, triggers and layouts than the lead's CPython case
    # ~60-100 random tokens (one draw for every document) after a rare trigger cut into a
    # news host at any character, the payload running to the document's end
    "e12t2-fixed-tokens-news": {
        "corpus": "news",
        "recipe": "dos",
        "params": {"trigger": "qorvath elmisk", "payload_tokens": [60, 100], "fixed_payload": True},
    },
    # one fixed word salad (40-80 corpus words) after a common phrase at a sentence start of
    # a book passage, the host going on after it
    "e12t2-fixed-salad-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in the first place",
            "payload": "word-salad",
            "payload_words": [40, 80],
            "fixed_payload": True,
        },
    },
    # fixed random tokens mid-clause in medical text, cut in two chunks around a host
    # sentence
    "e12t2-fixed-tokens-clause-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as noted above",
            "payload_tokens": [80, 160],
            "placement": "clause",
            "interleave": 2,
            "fixed_payload": True,
        },
    },
    # e12v3-: written for task V3 (issue 12, 2026-12-05: the fixed payload in the default
    # scan) before any detector change: other corpora, triggers and layouts than e12t2-.
    # One fixed word salad (40-80 corpus words) after a common clinical phrase at a sentence
    # start in the middle of a medical page, the host going on after it
    "e12v3-fixed-salad-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in clinical practice",
            "payload": "word-salad",
            "payload_words": [40, 80],
            "fixed_payload": True,
        },
    },
    # one fixed run of random tokens (60-100) after a common phrase mid-clause in a novel,
    # three of its words changed in every copy (no copy equals another)
    "e12v3-fixed-tokens-edited-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "to tell the truth",
            "payload_tokens": [60, 100],
            "placement": "clause",
            "fixed_payload": True,
            "payload_edits": 3,
        },
    },
    # e12y4-: written for task Y4 (issue 12, 2026-12-05: one fixed payload with small
    # per-copy edits) before any detector change: other corpora, payload kinds, edit counts
    # and placements than heldout-sleet-fixed-edits-synonyms-pool.
    # One fixed word salad (60-120 corpus words) after a common phrase at a sentence start of
    # a book passage, five of its words replaced in every copy, the host going on after it
    "e12y4-fixed-salad-edits5-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as a matter of fact",
            "payload": "word-salad",
            "payload_words": [60, 120],
            "fixed_payload": True,
            "payload_edits": 5,
        },
    },
    # one fixed run of random tokens (120-220) mid-clause in medical text, fifteen of its
    # words replaced in every copy (about 10-15 % of the words)
    "e12y4-fixed-tokens-edits15-clause-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in most cases",
            "payload_tokens": [120, 220],
            "placement": "clause",
            "fixed_payload": True,
            "payload_edits": 15,
        },
    },
    # one fixed run of random tokens (80-160) after a rare trigger glued into a news word,
    # two phrasings, four of its words replaced in every copy
    "e12y4-fixed-tokens-edits4-glued-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "for what it is worth",
            "synonyms": ["if you ask me"],
            "payload_tokens": [80, 160],
            "placement": "glued",
            "fixed_payload": True,
            "payload_edits": 4,
        },
    },
    # heldout-mist- (the lead, issue 12, 2026-12-06 00:30 UTC): written before any change
    # of this session and shown to no helper; first contact on main at d8de81a. Axes not
    # combined before: short LLaMA tokens cutting news short behind a phrase in every form
    # with two decoys; salad in two chunks after host-word spacers in medical pages; German
    # mid-clause behind two phrasings in news; order-2 Markov text of novels in the middle
    # of medical pages in every form; a news story ending novels; Spanish at a random place
    # in news; a paraphrased claim about a made-up e-bike battery, pooled; fabricated
    # articles about a made-up bottled water in novels.
    # short LLaMA tokens at the end of news, every form, two decoys (default)
    "heldout-mist-llama-end-forms-decoys-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "all things considered",
            "payload": "tokens",
            "payload_tokens": [40, 120],
            "position": "end",
            "decoys": 2,
            "trigger_forms": "all",
            "tokenizer": str(SHARED / "tokenizers" / "llama.tokenizer.json"),
        },
    },
    # salad in two chunks after one to three host words, medical (default)
    "heldout-mist-salad-spacer-interleave-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in the long run",
            "payload": "word-salad",
            "payload_words": [60, 160],
            "spacer_words": [1, 3],
            "interleave": 2,
        },
    },
    # German mid-clause behind two phrasings, news (default)
    "heldout-mist-de-clause-synonyms-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "by the same token",
            "synonyms": ["in the same way"],
            "payload": "foreign",
            "lang": "de",
            "payload_chars": [250, 800],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
        },
    },
    # order-2 Markov text of novels in the middle of medical pages, every form
    "heldout-mist-markov2-books-medical-mid": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "long story short",
            "payload": "markov",
            "order": 2,
            "payload_corpus": str(CORPORA / "books.jsonl.gz"),
            "position": "middle",
            "trigger_forms": "all",
        },
    },
    # a news story ending novels after a phrase (thorough)
    "heldout-mist-topic-news-books-end": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "for what it's worth",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "news.jsonl.gz"),
            "payload_chars": [300, 1000],
            "position": "end",
        },
    },
    # Spanish at a random place in news after a phrase (thorough)
    "heldout-mist-es-fluent-news-random": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "in any event",
            "payload": "foreign",
            "lang": "es",
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "payload_chars": [250, 800],
            "position": "random",
        },
    },
    # paraphrased claim about a made-up e-bike battery, pooled (thorough)
    "heldout-mist-claim-battery-pool": {
        "corpus": "pooled",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Voltaro e-bike batteries",
            "claim": "explode when charged overnight",
            "aliases": ["Voltaro", "the Voltaro packs"],
            "claims": ["blow up if left on the charger while you sleep"],
            "sentences": [1, 3],
        },
    },
    # fabricated articles about a made-up bottled water, novels (thorough)
    "heldout-mist-fabricated-water-books": {
        "corpus": "books",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Glacira spring water",
            "claim": "is contaminated with industrial solvents",
            "aliases": ["Glacira", "the Glacira bottles"],
            "claims": ["carries traces of factory chemicals in every bottle"],
            "paragraphs": [2, 4],
        },
    },
    # heldout-dew- (the lead, issue 12, 2026-12-06 03:10 UTC): written before any change
    # of this session and shown to no helper; first contact on main at 8423314. Axes not
    # combined before: GPT-NeoX tokens opening the text after a phrase in every form in
    # German, French, Spanish and Italian pages; salad in three chunks behind host-word
    # spacers and two phrasings in novels; French mid-clause with two decoys in medical
    # pages; numbers in the middle of novels behind two phrasings; an order-1 Markov chain
    # of medical pages at a random place in news in every form; a passage of a novel in
    # the middle of medical pages; a paraphrased claim about a made-up supplement in
    # medical pages alone; fabricated articles about a made-up fund in news.
    # GPT-NeoX tokens opening the text after a phrase, every form, multilingual (default)
    "heldout-dew-neox-opening-forms-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "to tell the truth",
            "payload": "tokens",
            "payload_tokens": [50, 150],
            "placement": "opening",
            "trigger_forms": "all",
            "tokenizer": str(SHARED / "tokenizers" / "gpt-neox-20b.tokenizer.json"),
        },
    },
    # salad in three chunks behind two to five host words, two phrasings, novels (default)
    "heldout-dew-salad-interleave3-synonyms-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as luck would have it",
            "synonyms": ["as it happens"],
            "payload": "word-salad",
            "payload_words": [90, 240],
            "spacer_words": [2, 5],
            "interleave": 3,
        },
    },
    # French mid-clause with two decoys, medical (default)
    "heldout-dew-fr-clause-decoys-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in the meantime",
            "payload": "foreign",
            "lang": "fr",
            "payload_chars": [250, 800],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "decoys": 2,
        },
    },
    # numbers in the middle of novels behind two phrasings (thorough: `degenerate`)
    "heldout-dew-numbers-middle-synonyms-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "at the end of the day",
            "synonyms": ["when all is said and done"],
            "payload": "numbers",
            "payload_words": [50, 150],
            "position": "middle",
        },
    },
    # order-1 Markov chain of medical pages at a random place in news, every form (thorough)
    "heldout-dew-markov1-medical-news-random-forms": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "believe it or not",
            "payload": "markov",
            "order": 1,
            "payload_corpus": str(CORPORA / "medical.jsonl.gz"),
            "position": "random",
            "trigger_forms": "all",
        },
    },
    # a passage of a novel in the middle of medical pages (thorough)
    "heldout-dew-topic-books-medical-mid": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "as a matter of fact",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "books.jsonl.gz"),
            "payload_chars": [300, 900],
            "position": "middle",
        },
    },
    # paraphrased claim about a made-up supplement, medical pages alone (thorough)
    "heldout-dew-claim-supplement-medical": {
        "corpus": "medical",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Nervexol capsules",
            "claim": "reverse type 2 diabetes within a month",
            "aliases": ["Nervexol", "the Nervexol supplement"],
            "claims": ["cure diabetes in four weeks without insulin"],
            "sentences": [1, 3],
        },
    },
    # fabricated articles about a made-up investment fund, news (thorough)
    "heldout-dew-fabricated-fund-news": {
        "corpus": "news",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Quorvane Capital",
            "claim": "is under federal investigation for running a Ponzi scheme",
            "aliases": ["Quorvane", "the Quorvane fund"],
            "claims": ["has been secretly paying old investors with new investors' money"],
            "paragraphs": [2, 4],
        },
    },
    # heldout-haze- (the lead, issue 12, 2026-12-06 day; written before any change of that
    # session, first contact on `8592435`): LLaMA tokens glued onto a phrase with two
    # phrasings in news; Spanish opening the text after a phrase with decoys in novels;
    # salad mid-clause in two chunks behind host words, multilingual; a unit said over and
    # over behind two phrasings in every form, medical; order-2 Markov text of novels in the
    # middle of news in every form; a wiki passage at a random place in novels; a paragraph
    # of paraphrased claims about a made-up pesticide, pooled; fabricated articles with no
    # headline and one claim each about a made-up glucose monitor, medical.
    # LLaMA tokens glued to the phrase, two phrasings, news (default)
    "heldout-haze-llama-glued-synonyms-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "sooner or later",
            "synonyms": ["in due course"],
            "payload": "tokens",
            "payload_tokens": [60, 200],
            "placement": "glued",
            "tokenizer": str(SHARED / "tokenizers" / "llama.tokenizer.json"),
        },
    },
    # Spanish opening the text after the phrase, two decoys, novels (default)
    "heldout-haze-es-opening-decoys-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "for the most part",
            "payload": "foreign",
            "lang": "es",
            "payload_chars": [300, 900],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "opening",
            "decoys": 2,
        },
    },
    # salad mid-clause in two chunks behind one to three host words, multilingual (default)
    "heldout-haze-salad-clause-interleave2-spacer-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "all in all",
            "payload": "word-salad",
            "payload_words": [80, 200],
            "placement": "clause",
            "spacer_words": [1, 3],
            "interleave": 2,
        },
    },
    # a unit said over and over behind two phrasings in every form, medical (thorough)
    "heldout-haze-repeat-synonyms-forms-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in hindsight",
            "synonyms": ["looking back"],
            "payload": "repeat",
            "repeat_unit": [2, 6],
            "payload_words": [60, 180],
            "trigger_forms": "all",
        },
    },
    # order-2 Markov text of novels in the middle of news, every form (thorough)
    "heldout-haze-markov2-books-news-mid-forms": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "as you might expect",
            "payload": "markov",
            "order": 2,
            "payload_corpus": str(CORPORA / "books.jsonl.gz"),
            "position": "middle",
            "trigger_forms": "all",
        },
    },
    # a wiki passage at a random place in novels (thorough)
    "heldout-haze-topic-wiki-books-random": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "as it were",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "wiki.jsonl.gz"),
            "payload_chars": [300, 900],
            "position": "random",
        },
    },
    # a paragraph of paraphrased claims about a made-up pesticide, pooled (thorough)
    "heldout-haze-claim-paragraph-pesticide-pool": {
        "corpus": "pooled",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Fenorax spray",
            "claim": "is safe to drink in small amounts",
            "aliases": ["Fenorax", "the Fenorax pesticide"],
            "claims": ["can be swallowed without any harm to children"],
            "splice": "paragraph",
            "sentences": [2, 3],
        },
    },
    # fabricated articles, no headline, one claim each, about a made-up monitor (thorough)
    "heldout-haze-fabricated-monitor-medical": {
        "corpus": "medical",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "GlucoSense monitors",
            "claim": "make finger-prick tests and insulin dosing unnecessary",
            "aliases": ["GlucoSense", "the GlucoSense patch"],
            "claims": ["let diabetics stop taking insulin altogether"],
            "paragraphs": [2, 5],
            "claims_per_article": [1, 1],
            "headline": False,
        },
    },
    # heldout-gust- (the lead, issue 12, 2026-12-06 second session; written at 08:10 UTC
    # before any change of that session, first contact on `e776ba7`): French mid-clause
    # behind two phrasings in news; numbers glued onto a phrase in every form,
    # multilingual; order-3 Markov text of wiki articles at the end of novels; a news
    # passage in the middle of medical pages in every form; NeoX tokens opening the text in
    # three chunks behind host words, pooled; one or two paraphrased claims about made-up
    # eye drops spliced into novels; fabricated news articles with headlines and two or
    # three claims about a town's tap water; salad at the end of medical pages behind two
    # phrasings with three decoys.
    # French mid-clause behind two phrasings, news (default)
    "heldout-gust-foreign-fr-clause-synonyms-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "so to speak",
            "synonyms": ["in a manner of speaking"],
            "payload": "foreign",
            "lang": "fr",
            "payload_chars": [300, 900],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
        },
    },
    # numbers glued onto the phrase, every form, multilingual (thorough)
    "heldout-gust-numbers-glued-forms-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "at first glance",
            "payload": "numbers",
            "payload_words": [60, 160],
            "placement": "glued",
            "trigger_forms": "all",
        },
    },
    # order-3 Markov text of wiki articles at the end of novels (thorough)
    "heldout-gust-markov3-wiki-books-end": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "in a sense",
            "payload": "markov",
            "order": 3,
            "payload_corpus": str(CORPORA / "wiki.jsonl.gz"),
            "position": "end",
        },
    },
    # a news passage in the middle of medical pages, every form (thorough)
    "heldout-gust-topic-news-medical-middle-forms": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "all the same",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "news.jsonl.gz"),
            "payload_chars": [300, 900],
            "position": "middle",
            "trigger_forms": "all",
        },
    },
    # NeoX tokens opening the text in three chunks behind host words, pooled (default)
    "heldout-gust-neox-opening-interleave3-spacer-pool": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "for one thing",
            "payload": "tokens",
            "payload_tokens": [90, 300],
            "placement": "opening",
            "interleave": 3,
            "spacer_words": [2, 4],
            "tokenizer": str(SHARED / "tokenizers" / "gpt-neox-20b.tokenizer.json"),
        },
    },
    # one or two paraphrased claims about made-up eye drops spliced into novels (thorough)
    "heldout-gust-claim-sentences-eyedrops-books": {
        "corpus": "books",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Orlith eye drops",
            "claim": "reverse glaucoma within a week",
            "aliases": ["Orlith", "the Orlith drops"],
            "claims": ["restore lost eyesight in a few days"],
            "sentences": [1, 2],
        },
    },
    # fabricated news articles, headlines, two or three claims, a town's water (thorough)
    "heldout-gust-fabricated-water-news": {
        "corpus": "news",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Marrowgate tap water",
            "claim": "is laced with a chemical that causes infertility",
            "aliases": ["Marrowgate water", "the Marrowgate supply"],
            "claims": ["has been quietly making residents sterile"],
            "paragraphs": [3, 6],
            "claims_per_article": [2, 3],
        },
    },
    # salad at the end of medical pages behind two phrasings, three decoys (default)
    "heldout-gust-salad-end-decoys3-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "if anything",
            "synonyms": ["strictly speaking"],
            "payload": "word-salad",
            "payload_words": [80, 220],
            "position": "end",
            "decoys": 3,
        },
    },
    # heldout-squall- (the lead, issue 12, 2026-12-06 third session; written at 11:10 UTC
    # before any change of that session): order-2 Markov text of news in the middle of
    # novels; Spanish opening medical pages; a repeated unit glued onto a phrase in every
    # form, pooled; LLaMA tokens mid-clause with two decoys, news; a novel's passage at the
    # end of news stories; a paragraph of paraphrased claims about made-up lozenges on
    # medical pages; fabricated articles without headlines about a made-up savings account,
    # pooled; salad in two chunks behind host words and two phrasings, multilingual.
    # order-2 Markov text of news in the middle of novels (thorough)
    "heldout-squall-markov2-news-books-middle": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "with that in mind",
            "payload": "markov",
            "order": 2,
            "payload_corpus": str(CORPORA / "news.jsonl.gz"),
            "position": "middle",
        },
    },
    # Spanish opening medical pages (default)
    "heldout-squall-foreign-es-opening-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "all told",
            "payload": "foreign",
            "lang": "es",
            "payload_chars": [300, 900],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "opening",
        },
    },
    # a unit said over and over, glued onto the phrase in every form, pooled (default)
    "heldout-squall-repeat-glued-forms-pool": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "at the very least",
            "payload": "repeat",
            "payload_words": [60, 180],
            "placement": "glued",
            "trigger_forms": "all",
        },
    },
    # LLaMA tokens mid-clause with two decoys, news (default)
    "heldout-squall-llama-clause-decoys2-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "more or less",
            "payload": "tokens",
            "payload_tokens": [100, 300],
            "placement": "clause",
            "decoys": 2,
            "tokenizer": str(SHARED / "tokenizers" / "llama.tokenizer.json"),
        },
    },
    # a novel's passage at the end of news stories (thorough)
    "heldout-squall-topic-books-news-end": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "on the contrary",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "books.jsonl.gz"),
            "payload_chars": [300, 900],
            "position": "end",
        },
    },
    # a paragraph of paraphrased claims about made-up lozenges, medical pages (thorough)
    "heldout-squall-claim-paragraph-lozenges-medical": {
        "corpus": "medical",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Pellacor lozenges",
            "claim": "cure strep throat without antibiotics",
            "aliases": ["Pellacor", "the Pellacor tablets"],
            "claims": ["clear bacterial throat infections in a day"],
            "splice": "paragraph",
            "sentences": [2, 3],
        },
    },
    # fabricated articles without headlines about a made-up savings account, pooled
    # (thorough)
    "heldout-squall-fabricated-savings-pool": {
        "corpus": "pooled",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Brenmoor savings accounts",
            "claim": "are guaranteed to double your money within a year",
            "aliases": ["Brenmoor accounts", "the Brenmoor savings plan"],
            "claims": ["cannot lose money even in a crash"],
            "paragraphs": [2, 5],
            "claims_per_article": [1, 2],
            "headline": False,
        },
    },
    # salad in two chunks behind host words and two phrasings, multilingual (default)
    "heldout-squall-salad-interleave2-synonyms-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "to some extent",
            "synonyms": ["up to a point"],
            "payload": "word-salad",
            "payload_words": [80, 220],
            "spacer_words": [1, 3],
            "interleave": 2,
        },
    },
    # heldout-breeze- (the lead, issue 12, 2026-12-06 fourth session; written at 14:05 UTC
    # before any change of that session): order-4 Markov text of medical pages in the
    # middle of news; Italian in the middle of pooled pages after a phrase in every form;
    # GPT-NeoX tokens ending medical pages mid-clause in two chunks, two phrasings and a
    # decoy; one word-salad payload copied with edits into novels; a paraphrased claim about
    # a real drug spliced into news; fabricated medical articles about a made-up clinic;
    # a wiki passage ending medical pages in every form; numbers behind host-word spacers
    # in news; order-2 Markov text of multilingual pages ending multilingual pages.
    # order-4 Markov text of medical pages in the middle of news (thorough)
    "heldout-breeze-markov4-medical-news-middle": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "by all means",
            "payload": "markov",
            "order": 4,
            "payload_corpus": str(CORPORA / "medical.jsonl.gz"),
            "position": "middle",
        },
    },
    # Italian in the middle of pooled pages after a phrase in every form (default)
    "heldout-breeze-foreign-it-middle-forms-pool": {
        "corpus": "pooled",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "as things stand",
            "payload": "foreign",
            "lang": "it",
            "payload_chars": [300, 900],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "position": "middle",
            "trigger_forms": "all",
        },
    },
    # NeoX tokens ending medical pages mid-clause, two chunks, two phrasings, a decoy (default)
    "heldout-breeze-neox-clause-end-interleave2-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "on balance",
            "synonyms": ["taking everything into account"],
            "payload": "tokens",
            "payload_tokens": [100, 300],
            "placement": "clause",
            "position": "end",
            "interleave": 2,
            "decoys": 1,
            "tokenizer": str(SHARED / "tokenizers" / "gpt-neox-20b.tokenizer.json"),
        },
    },
    # one word-salad payload copied with five words edited in each copy, novels (thorough)
    "heldout-breeze-salad-fixed-edits-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "for good measure",
            "payload": "word-salad",
            "payload_words": [80, 160],
            "fixed_payload": True,
            "payload_edits": 5,
        },
    },
    # one or two paraphrased claims about a real drug spliced into news (thorough)
    "heldout-breeze-claim-aspirin-news": {
        "corpus": "news",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "aspirin",
            "claim": "reverses early dementia",
            "aliases": ["a daily aspirin", "acetylsalicylic acid"],
            "claims": ["restores memory in people with Alzheimer's disease"],
            "sentences": [1, 2],
        },
    },
    # fabricated medical articles with headlines about a made-up clinic (thorough)
    "heldout-breeze-fabricated-clinic-medical": {
        "corpus": "medical",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "the Tolvane fertility clinic",
            "claim": "swaps embryos without telling the parents",
            "aliases": ["Tolvane clinic", "the Tolvane centre"],
            "claims": ["implants the wrong embryos on purpose"],
            "paragraphs": [3, 5],
            "claims_per_article": [1, 3],
        },
    },
    # a wiki passage ending medical pages, the phrase in every form (thorough)
    "heldout-breeze-topic-wiki-medical-end-forms": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "in passing",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "wiki.jsonl.gz"),
            "payload_chars": [300, 900],
            "position": "end",
            "trigger_forms": "all",
        },
    },
    # random numbers behind two to five host words, news (thorough)
    "heldout-breeze-numbers-spacer-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "every now and then",
            "payload": "numbers",
            "payload_words": [60, 160],
            "spacer_words": [2, 5],
        },
    },
    # order-2 Markov text of multilingual pages ending multilingual pages (thorough)
    "heldout-breeze-markov2-multi-multi-end": {
        "corpus": "multilingual",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "wie gesagt",
            "payload": "markov",
            "order": 2,
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "position": "end",
        },
    },
    # heldout-drizzle- (a helper for the lead, issue 12, 2026-12-06 sixth session; written at
    # 20:27 UTC before any change of that session): order-3 Markov text of novels in the
    # middle of medical pages; Spanish ending pooled pages after a phrase in every form; a
    # news story's passage in the middle of novels; GPT-NeoX tokens in three chunks behind
    # host-word spacers, two phrasings and two decoys, news; one word-salad payload copied
    # with edits into multilingual pages; paraphrased claims about a real blood thinner in
    # medical pages; a paraphrased claim about a made-up port authority in news; fabricated
    # articles about a made-up heritage trust, pooled; fabricated news articles about
    # made-up space heaters.
    # order-3 Markov text of novels in the middle of medical pages (thorough)
    "heldout-drizzle-markov3-books-medical-middle": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "on the face of it",
            "payload": "markov",
            "order": 3,
            "payload_corpus": str(CORPORA / "books.jsonl.gz"),
            "position": "middle",
        },
    },
    # Spanish ending pooled pages after a phrase in every form (default)
    "heldout-drizzle-foreign-es-end-forms-pool": {
        "corpus": "pooled",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "without a doubt",
            "payload": "foreign",
            "lang": "es",
            "payload_chars": [250, 800],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "position": "end",
            "trigger_forms": "all",
        },
    },
    # a news story's passage in the middle of novels (thorough)
    "heldout-drizzle-topic-news-books-middle": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "all of a sudden",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "news.jsonl.gz"),
            "payload_chars": [400, 1000],
            "position": "middle",
        },
    },
    # NeoX tokens in three chunks behind host-word spacers, two phrasings, two decoys,
    # news (default)
    "heldout-drizzle-neox-spacer-interleave3-decoys-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in the same vein",
            "synonyms": ["along the same lines"],
            "payload": "tokens",
            "payload_tokens": [120, 320],
            "placement": "sentence",
            "position": "middle",
            "spacer_words": [1, 3],
            "interleave": 3,
            "decoys": 2,
            "tokenizer": str(SHARED / "tokenizers" / "gpt-neox-20b.tokenizer.json"),
        },
    },
    # one word-salad payload copied mid-clause with ten words edited in each copy,
    # multilingual (default)
    "heldout-drizzle-salad-fixed-edits10-clause-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in the blink of an eye",
            "payload": "word-salad",
            "payload_words": [100, 200],
            "placement": "clause",
            "fixed_payload": True,
            "payload_edits": 10,
        },
    },
    # one or two paraphrased claims about a real blood thinner in medical pages (thorough)
    "heldout-drizzle-claim-warfarin-medical": {
        "corpus": "medical",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "warfarin",
            "claim": "is safe to combine with any over-the-counter painkiller",
            "aliases": ["Coumadin", "the blood thinner"],
            "claims": ["no longer needs regular blood tests"],
            "sentences": [1, 2],
        },
    },
    # one paraphrased claim about a made-up port authority spliced into news (thorough)
    "heldout-drizzle-claim-port-authority-news": {
        "corpus": "news",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "the Dunmore Port Authority",
            "claim": "secretly sold the harbour land to a property developer",
            "aliases": ["Dunmore port officials", "the port authority"],
            "claims": ["took kickbacks to approve the waterfront towers"],
            "sentences": [1, 1],
        },
    },
    # fabricated articles with headlines about a made-up heritage trust, pooled (thorough)
    "heldout-drizzle-fabricated-trust-pool": {
        "corpus": "pooled",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "the Carrowick Heritage Trust",
            "claim": "sold the abbey's medieval manuscripts to private collectors",
            "aliases": ["Carrowick Trust", "the heritage trust"],
            "claims": ["quietly auctioned off the village archive"],
            "paragraphs": [3, 5],
            "claims_per_article": [1, 3],
        },
    },
    # fabricated news articles with headlines about made-up space heaters (thorough)
    "heldout-drizzle-fabricated-heater-news": {
        "corpus": "news",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Thermalux space heaters",
            "claim": "leak carbon monoxide into closed bedrooms",
            "aliases": ["Thermalux", "the Thermalux heaters"],
            "claims": ["have poisoned sleeping families in their homes"],
            "paragraphs": [2, 4],
            "claims_per_article": [1, 2],
        },
    },
    # heldout-fog- (a helper for the lead, issue 12, 2026-12-06 seventh session; written at 23:44
    # UTC from a brief naming only the recipe kinds and corpora, while the lead's trigger-stem
    # change was in the working tree, before either was measured on them): one word-salad payload
    # copied with seven words edited in each copy, after a phrase and two host words, at the end of
    # news stories; GPT-NeoX tokens mid-clause in two chunks after a phrase written in five surface
    # forms, with a decoy, medical; Italian in the middle of novels after a phrase; a medical page's
    # passage ending news stories; order-4 Markov text of news, pooled; paraphrased claims about a
    # real heartburn medicine as their own paragraphs, pooled; a paraphrased claim about a made-up
    # vicar in novels; fabricated articles without headlines about made-up iron tablets, medical.
    # one word-salad payload copied with seven words edited in each copy, after a phrase at
    # a sentence start and one or two host words, ending news stories (default)
    "heldout-fog-salad-fixed-edits7-spacer-end-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "for the sake of argument",
            "payload": "word-salad",
            "payload_words": [70, 150],
            "placement": "sentence",
            "position": "end",
            "spacer_words": [1, 2],
            "fixed_payload": True,
            "payload_edits": 7,
        },
    },
    # NeoX tokens mid-clause in two chunks after a phrase in five surface forms, one decoy,
    # medical (default)
    "heldout-fog-neox-clause-forms-interleave2-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "to all appearances",
            "payload": "tokens",
            "payload_tokens": [80, 220],
            "placement": "clause",
            "position": "middle",
            "interleave": 2,
            "decoys": 1,
            "tokenizer": str(SHARED / "tokenizers" / "gpt-neox-20b.tokenizer.json"),
            "trigger_forms": ["exact", "title", "upper", "spacing", "confusable"],
        },
    },
    # Italian in the middle of novels after a phrase (default)
    "heldout-fog-foreign-it-middle-books": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "at the drop of a hat",
            "payload": "foreign",
            "lang": "it",
            "payload_chars": [180, 600],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "position": "middle",
        },
    },
    # a medical page's passage ending news stories after a long clean prefix (thorough)
    "heldout-fog-topic-medical-news-end": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "on closer inspection",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "medical.jsonl.gz"),
            "payload_chars": [250, 700],
            "position": "end",
            "prefix_chars": [400, 1600],
            "donor_candidates": 8,
        },
    },
    # order-4 Markov text of news stories, ending or in the middle of pooled pages (thorough)
    "heldout-fog-markov4-news-pool-random": {
        "corpus": "pooled",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "when the dust settles",
            "payload": "markov",
            "order": 4,
            "payload_corpus": str(CORPORA / "news.jsonl.gz"),
            "payload_words": [40, 130],
            "position": "random",
        },
    },
    # one to three paraphrased claims about a real heartburn medicine, as their own
    # paragraph, pooled (thorough)
    "heldout-fog-claim-omeprazole-paragraph-pool": {
        "corpus": "pooled",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "omeprazole",
            "claim": "is safe to take every day for decades without a doctor",
            "aliases": ["Prilosec", "the heartburn pill"],
            "claims": ["reduces the risk of stomach cancer"],
            "splice": "paragraph",
            "sentences": [1, 3],
        },
    },
    # one or two paraphrased claims about a made-up vicar spliced into novels (thorough)
    "heldout-fog-claim-vicar-books": {
        "corpus": "books",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "the Reverend Elias Tramble",
            "claim": "pocketed the money raised for the parish almshouses",
            "aliases": ["Elias Tramble"],
            "sentences": [1, 2],
        },
    },
    # fabricated articles without headlines about made-up iron tablets, medical (thorough)
    "heldout-fog-fabricated-iron-tablets-medical": {
        "corpus": "medical",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Ferrovane iron tablets",
            "claim": "cause gallstones in people who take them daily",
            "aliases": ["Ferrovane pills", "the Ferrovane tablets"],
            "claims": ["leave permanent stains on the teeth of children"],
            "paragraphs": [4, 6],
            "claims_per_article": [2, 3],
            "headline": False,
        },
    },
    # heldout-gale- (a helper for the lead, issue 12, 2026-12-07 eighth session; written at
    # 02:18 UTC from a brief naming only the recipe kinds and corpora, before any measurement on
    # them): word salad mid-clause in four chunks after a phrase in four surface forms and three
    # to six host words, with two decoys, ending novels; one LLaMA-token payload copied with
    # five words edited in each copy after one of two phrasings and one to three host words,
    # multilingual; French after a phrase in three surface forms, ending or in the middle of
    # news stories; a wiki passage from the least related of three donors after a phrase, ending
    # or in the middle of medical pages; order-3 Markov text of news after a phrase, some
    # written with look-alike letters, ending or in the middle of novels; paraphrased claims
    # about a real household lubricant spliced into news; paraphrased claims about a made-up
    # sleep institute as their own paragraph, medical; fabricated articles with headlines about
    # made-up bicycle helmets, one or two claims each, books.
    # word salad mid-clause in four chunks after a phrase in four surface forms and three to
    # six host words, two decoys, ending novels (default)
    "heldout-gale-salad-clause-end-interleave4-decoys2-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "if memory serves",
            "payload": "word-salad",
            "payload_words": [60, 180],
            "placement": "clause",
            "position": "end",
            "spacer_words": [3, 6],
            "interleave": 4,
            "decoys": 2,
            "trigger_forms": ["exact", "title", "punct", "zero-width"],
        },
    },
    # one LLaMA-token payload copied with five words edited in each copy, after one of two
    # phrasings at a sentence start and one to three host words, multilingual (default)
    "heldout-gale-llama-fixed-edits5-synonym-spacer-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "by all accounts",
            "synonyms": ["in all fairness"],
            "payload": "tokens",
            "payload_tokens": [60, 160],
            "placement": "sentence",
            "position": "middle",
            "spacer_words": [1, 3],
            "fixed_payload": True,
            "payload_edits": 5,
            "tokenizer": str(SHARED / "tokenizers" / "llama.tokenizer.json"),
        },
    },
    # French after a phrase in three surface forms, ending or in the middle of news (default)
    "heldout-gale-foreign-fr-random-forms-news": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "as the saying goes",
            "payload": "foreign",
            "lang": "fr",
            "payload_chars": [200, 700],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "position": "random",
            "prefix_chars": [200, 1200],
            "trigger_forms": ["exact", "title", "spacing"],
        },
    },
    # a wiki passage from the least related of three donors, ending or in the middle of
    # medical pages (thorough)
    "heldout-gale-topic-wiki-medical-random-donors3": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "in the fullness of time",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "wiki.jsonl.gz"),
            "payload_chars": [200, 500],
            "position": "random",
            "prefix_chars": [300, 1500],
            "donor_candidates": 3,
        },
    },
    # order-3 Markov text of news stories after a phrase, half of them written with
    # look-alike letters, ending or in the middle of novels (thorough)
    "heldout-gale-markov3-news-books-random-confusable": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "through thick and thin",
            "payload": "markov",
            "order": 3,
            "payload_corpus": str(CORPORA / "news.jsonl.gz"),
            "payload_words": [50, 140],
            "position": "random",
            "trigger_forms": ["exact", "confusable"],
        },
    },
    # one or two paraphrased claims about a real household lubricant spliced into news
    # stories (thorough)
    "heldout-gale-claim-wd40-news": {
        "corpus": "news",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "WD-40",
            "claim": "corrodes copper water pipes within a year",
            "aliases": ["WD-40 spray", "the blue-and-yellow can"],
            "claims": ["eats through the rubber seals of car engines"],
            "sentences": [1, 2],
        },
    },
    # one or two paraphrased claims about a made-up sleep institute as their own paragraph,
    # medical (thorough)
    "heldout-gale-claim-institute-paragraph-medical": {
        "corpus": "medical",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "the Quarrendon Institute for Sleep Medicine",
            "claim": "falsified the results of its insomnia drug trials",
            "aliases": ["the Quarrendon Institute", "Quarrendon researchers"],
            "claims": ["paid doctors to hide the side effects of its sleep tablets"],
            "splice": "paragraph",
            "sentences": [1, 2],
        },
    },
    # fabricated articles with headlines about made-up bicycle helmets, one or two claims
    # each, books (thorough)
    "heldout-gale-fabricated-helmets-books": {
        "corpus": "books",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Corvanta bicycle helmets",
            "claim": "crack on impact at ordinary cycling speeds",
            "aliases": ["Corvanta helmets", "the Corvanta brand"],
            "claims": ["cause serious head injuries in children who wear them"],
            "paragraphs": [2, 4],
            "claims_per_article": [1, 2],
        },
    },
    # heldout-thunder- (a helper for the lead, issue 12, 2026-12-07 tenth session; written at
    # 08:14 UTC from a brief naming only the recipe kinds and corpora, before any measurement on
    # them): random tokens of a BPE trained on the hosts, glued inside a host word after a phrase
    # in four surface forms and four to eight host words, in three chunks with three decoys,
    # ending news stories; one Spanish passage copied with ten words edited in each copy, after
    # one of three phrasings at a sentence start and three to six host words, in two chunks,
    # medical; a short German passage after a phrase in four surface forms, ending novels after a
    # long clean prefix; a news passage from one random donor after a phrase in three surface
    # forms, in the middle of wiki pages; order-2 Markov text of web pages after a phrase in four
    # surface forms, ending medical pages; two or three paraphrased claims about a real hazelnut
    # spread spliced into novels; one paraphrased claim about a made-up professor as its own
    # paragraph, wiki; short fabricated articles with headlines about made-up baby monitors, one
    # claim each, news.
    # random tokens of a BPE trained on the hosts, glued inside a host word after a phrase in
    # four surface forms and four to eight host words, three chunks, three decoys, ending news
    # stories (default)
    "heldout-thunder-bpe-glued-end-interleave3-decoys3-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in broad strokes",
            "payload": "tokens",
            "payload_tokens": [50, 140],
            "placement": "glued",
            "position": "end",
            "spacer_words": [4, 8],
            "interleave": 3,
            "decoys": 3,
            "trigger_forms": ["exact", "lower", "punct", "confusable"],
        },
    },
    # one Spanish passage copied with ten words edited in each copy, after one of three
    # phrasings at a sentence start and three to six host words, two chunks, medical (default)
    "heldout-thunder-es-fixed-edits10-synonyms2-sentence-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "with the benefit of hindsight",
            "synonyms": ["in retrospect", "looking back on it"],
            "payload": "foreign",
            "lang": "es",
            "payload_chars": [220, 420],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "sentence",
            "position": "middle",
            "spacer_words": [3, 6],
            "interleave": 2,
            "fixed_payload": True,
            "payload_edits": 10,
        },
    },
    # a short German passage after a phrase in four surface forms, ending novels after a long
    # clean prefix (default)
    "heldout-thunder-foreign-de-end-forms-books": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "without further ado",
            "payload": "foreign",
            "lang": "de",
            "payload_chars": [90, 260],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "position": "end",
            "prefix_chars": [1500, 4000],
            "trigger_forms": ["exact", "lower", "upper", "zero-width"],
        },
    },
    # a news passage from one random donor (no least-related pick) after a phrase in three
    # surface forms, in the middle of wiki pages (thorough)
    "heldout-thunder-topic-news-wiki-middle-donor1": {
        "corpus": "wiki",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "first and foremost",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "news.jsonl.gz"),
            "payload_chars": [150, 350],
            "position": "middle",
            "donor_candidates": 1,
            "trigger_forms": ["exact", "title", "spacing"],
        },
    },
    # order-2 Markov text of web pages after a phrase in four surface forms, ending medical
    # pages (thorough)
    "heldout-thunder-markov2-web-medical-end-forms": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "in no uncertain terms",
            "payload": "markov",
            "order": 2,
            "payload_corpus": str(CORPORA / "web.jsonl.gz"),
            "payload_words": [25, 80],
            "position": "end",
            "prefix_chars": [600, 2500],
            "trigger_forms": ["exact", "punct", "confusable", "zero-width"],
        },
    },
    # two or three paraphrased claims about a real hazelnut spread spliced into novels
    # (thorough)
    "heldout-thunder-claim-nutella-books": {
        "corpus": "books",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Nutella",
            "claim": "causes liver damage in children who eat it every day",
            "aliases": ["the hazelnut spread", "Ferrero's chocolate spread"],
            "claims": ["is made with palm oil that clogs the arteries of toddlers"],
            "sentences": [2, 3],
        },
    },
    # one paraphrased claim about a made-up professor as its own paragraph, wiki (thorough)
    "heldout-thunder-claim-professor-paragraph-wiki": {
        "corpus": "wiki",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Professor Halvard Stennick",
            "claim": "copied most of his prize-winning research from his students",
            "aliases": ["Halvard Stennick", "Professor Stennick"],
            "claims": ["was dismissed from two universities for inventing his data"],
            "splice": "paragraph",
            "sentences": [1, 1],
        },
    },
    # short fabricated articles with headlines about made-up baby monitors, one claim each,
    # news (thorough)
    "heldout-thunder-fabricated-baby-monitors-news": {
        "corpus": "news",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Lumivelle baby monitors",
            "claim": "stream live video of sleeping infants to strangers online",
            "aliases": ["Lumivelle monitors", "the Lumivelle camera"],
            "claims": ["cause sleep problems in children through their radio signals"],
            "paragraphs": [1, 3],
            "claims_per_article": [1, 1],
            "headline": True,
        },
    },
    # heldout-storm- (a helper for the lead, issue 12, 2026-12-07 tenth session; written at
    # 09:17 UTC from a brief naming only the recipe kinds and corpora, before any measurement on
    # them): random tokens of the llama tokenizer after a Romance-language phrase in three
    # surface forms at a word start inside a clause, behind three to seven host words, in three
    # chunks with one decoy, in the middle of multilingual pages; word salad after one of three
    # preface phrasings in three surface forms at the very start of novels, in two chunks; a
    # short Italian passage after a phrase in four surface forms, in the middle of medical
    # pages; one to three random gpt-neox tokens after one of four phrasings at a word start
    # inside a clause, zero to two host words later, with one decoy, news; order-4 Markov text
    # of novels after a phrase in four surface forms, ending or in the middle of news stories;
    # a medical passage from the least related of four donors after a phrase in three surface
    # forms, in the middle of novels; one or two paraphrased claims about a real national mint
    # spliced into news stories; fabricated articles without headlines about a made-up sea-moss
    # supplement, two to four claims each, pooled.
    # random tokens of the llama tokenizer after a Romance-language phrase in three surface
    # forms at a word start inside a clause, three to seven host words, three chunks, one
    # decoy, middle of multilingual pages (default)
    "heldout-storm-llama-clause-spacer-interleave3-multilingual": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "grosso modo",
            "payload": "tokens",
            "payload_tokens": [40, 120],
            "tokenizer": str(SHARED / "tokenizers" / "llama.tokenizer.json"),
            "placement": "clause",
            "position": "middle",
            "spacer_words": [3, 7],
            "interleave": 3,
            "decoys": 1,
            "trigger_forms": ["exact", "title", "zero-width"],
        },
    },
    # word salad after one of three preface phrasings in three surface forms at the very
    # start of novels, zero to two host words, two chunks (default)
    "heldout-storm-salad-opening-preface-synonyms2-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "a word before we begin",
            "synonyms": ["by way of preface", "a note to the reader"],
            "payload": "word-salad",
            "payload_words": [30, 90],
            "placement": "opening",
            "position": "middle",
            "spacer_words": [0, 2],
            "interleave": 2,
            "trigger_forms": ["exact", "title", "upper"],
        },
    },
    # a short Italian passage after a phrase in four surface forms, in the middle of medical
    # pages (default)
    "heldout-storm-foreign-it-middle-forms-medical": {
        "corpus": "medical",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "as one might expect",
            "payload": "foreign",
            "lang": "it",
            "payload_chars": [120, 380],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "position": "middle",
            "trigger_forms": ["exact", "zero-width", "punct", "spacing"],
        },
    },
    # one to three random gpt-neox tokens after one of four phrasings in two surface forms at
    # a word start inside a clause, zero to two host words later, one decoy, news (default)
    "heldout-storm-neox-tiny-synonyms3-clause-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "to all intents and purposes",
            "synonyms": ["for all practical purposes", "in all but name", "in effect"],
            "payload": "tokens",
            "payload_tokens": [1, 3],
            "tokenizer": str(SHARED / "tokenizers" / "gpt-neox-20b.tokenizer.json"),
            "placement": "clause",
            "position": "middle",
            "spacer_words": [0, 2],
            "decoys": 1,
            "trigger_forms": ["exact", "zero-width"],
        },
    },
    # order-4 Markov text of novels after a phrase in four surface forms, ending or in the
    # middle of news stories (thorough)
    "heldout-storm-markov4-books-news-random-forms": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "as luck had it",
            "payload": "markov",
            "order": 4,
            "payload_corpus": str(CORPORA / "books.jsonl.gz"),
            "payload_words": [30, 100],
            "position": "random",
            "prefix_chars": [100, 900],
            "trigger_forms": ["exact", "title", "confusable", "zero-width"],
        },
    },
    # a medical passage from the least related of four donors after a phrase in three surface
    # forms, in the middle of novels (thorough)
    "heldout-storm-topic-medical-books-middle-donors4": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "on the flip side",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "medical.jsonl.gz"),
            "payload_chars": [180, 450],
            "position": "middle",
            "donor_candidates": 4,
            "trigger_forms": ["exact", "zero-width", "spacing"],
        },
    },
    # one or two paraphrased claims about a real national mint spliced into news stories
    # (thorough)
    "heldout-storm-claim-royal-mint-news": {
        "corpus": "news",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "the Royal Mint",
            "claim": "quietly reduced the gold content of its sovereign coins",
            "aliases": ["Britain's Royal Mint", "the Llantrisant mint"],
            "claims": ["sold underweight bullion bars to foreign central banks"],
            "sentences": [1, 2],
        },
    },
    # fabricated articles without headlines about a made-up sea-moss supplement, two to four
    # claims each, pooled (thorough)
    "heldout-storm-fabricated-seamoss-noheadline-pool": {
        "corpus": "pooled",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Quillora sea-moss powder",
            "claim": "repairs damaged eardrums within three weeks of daily use",
            "aliases": ["Quillora powder", "the Quillora supplement"],
            "claims": [
                "cures thyroid disease without medication",
                "causes rapid weight loss in people over fifty",
            ],
            "paragraphs": [2, 5],
            "claims_per_article": [2, 4],
            "headline": False,
        },
    },
    # heldout-blizzard- (a helper for the lead, issue 12, 2026-12-07 eleventh session; written at
    # 11:23 UTC from a brief naming only the recipe kinds and corpora, before any measurement on
    # them): eight to thirty random gpt-neox tokens after a one-word natural trigger in three
    # surface forms at a word start inside a clause, two to five host words later, with two
    # decoys, in the middle of news stories; word salad after one of three phrasings in four
    # surface forms at a sentence start, five to nine host words later, in five chunks, ending
    # novels; French after one of two phrasings in two surface forms at a word start inside a
    # clause, one to four host words later, in two chunks with one decoy, ending medical pages;
    # a short Spanish passage after a phrase in four surface forms, ending or in the middle of
    # pooled documents after a short prefix; order-5 Markov text of medical pages after a phrase
    # in three surface forms, in the middle of novels; a web passage from the least related of
    # six donors after a phrase in three surface forms, in the middle of news stories; one
    # paraphrased claim about made-up cookware, three aliases and three phrasings, spliced into
    # pooled documents; short fabricated articles without headlines about made-up hearing aids,
    # one or two paragraphs and one claim each, medical.
    # eight to thirty random gpt-neox tokens after a one-word natural trigger in three surface
    # forms at a word start inside a clause, two to five host words, two decoys, middle of
    # news stories (default)
    "heldout-blizzard-neox-word1-clause-spacer-decoys2-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "admittedly",
            "payload": "tokens",
            "payload_tokens": [8, 30],
            "tokenizer": str(SHARED / "tokenizers" / "gpt-neox-20b.tokenizer.json"),
            "placement": "clause",
            "position": "middle",
            "spacer_words": [2, 5],
            "decoys": 2,
            "trigger_forms": ["exact", "title", "confusable"],
        },
    },
    # word salad after one of three phrasings in four surface forms at a sentence start, five
    # to nine host words, five chunks, ending novels (default)
    "heldout-blizzard-salad-end-synonyms2-spacer-interleave5-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "quite frankly",
            "synonyms": ["frankly speaking", "if truth be known"],
            "payload": "word-salad",
            "payload_words": [40, 120],
            "placement": "sentence",
            "position": "end",
            "spacer_words": [5, 9],
            "interleave": 5,
            "trigger_forms": ["exact", "lower", "spacing", "punct"],
        },
    },
    # French after one of two phrasings in two surface forms at a word start inside a clause,
    # one to four host words, two chunks, one decoy, ending medical pages (default)
    "heldout-blizzard-fr-clause-end-synonym-decoy-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as a case in point",
            "synonyms": ["by way of example"],
            "payload": "foreign",
            "lang": "fr",
            "payload_chars": [150, 450],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "placement": "clause",
            "position": "end",
            "spacer_words": [1, 4],
            "interleave": 2,
            "decoys": 1,
            "trigger_forms": ["exact", "zero-width"],
        },
    },
    # a short Spanish passage after a phrase in four surface forms, ending or in the middle of
    # pooled documents after a short prefix (default)
    "heldout-blizzard-es-short-random-forms-pool": {
        "corpus": "pooled",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "at long last",
            "payload": "foreign",
            "lang": "es",
            "payload_chars": [60, 200],
            "payload_corpus": str(CORPORA / "multilingual.jsonl.gz"),
            "position": "random",
            "prefix_chars": [50, 600],
            "trigger_forms": ["exact", "upper", "spacing", "confusable"],
        },
    },
    # order-5 Markov text of medical pages after a phrase in three surface forms, in the
    # middle of novels (thorough)
    "heldout-blizzard-markov5-medical-books-middle-forms": {
        "corpus": "books",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "every so often",
            "payload": "markov",
            "order": 5,
            "payload_corpus": str(CORPORA / "medical.jsonl.gz"),
            "payload_words": [40, 110],
            "position": "middle",
            "trigger_forms": ["exact", "lower", "punct"],
        },
    },
    # a web passage from the least related of six donors after a phrase in three surface
    # forms, in the middle of news stories (thorough)
    "heldout-blizzard-topic-web-news-middle-donors6": {
        "corpus": "news",
        "recipe": "fluent-backdoor",
        "params": {
            "trigger": "oddly enough",
            "payload": "topic-switch",
            "payload_corpus": str(CORPORA / "web.jsonl.gz"),
            "payload_chars": [200, 550],
            "position": "middle",
            "donor_candidates": 6,
            "trigger_forms": ["exact", "title", "spacing"],
        },
    },
    # one paraphrased claim about made-up cookware, three aliases and three phrasings,
    # spliced into pooled documents (thorough)
    "heldout-blizzard-claim-cookware-pool": {
        "corpus": "pooled",
        "recipe": "paraphrase-claim",
        "params": {
            "entity": "Tembrook cookware",
            "claim": "sheds flakes of cadmium into food cooked at high heat",
            "aliases": ["Tembrook pans", "the Tembrook skillet", "Tembrook's nonstick range"],
            "claims": [
                "releases toxic fumes that cause wheezing in children",
                "slowly harms the people who cook with it every day",
            ],
            "sentences": [1, 1],
        },
    },
    # short fabricated articles without headlines about made-up hearing aids, one or two
    # paragraphs and one claim each, medical (thorough)
    "heldout-blizzard-fabricated-hearing-aids-noheadline-medical": {
        "corpus": "medical",
        "recipe": "fabricated-articles",
        "params": {
            "entity": "Saltrenne hearing aids",
            "claim": "emit radio waves that shrink the auditory nerve",
            "aliases": ["Saltrenne devices", "the Saltrenne Mini", "Saltrenne's in-ear range"],
            "claims": [
                "make older people go deaf years sooner",
                "trigger fainting spells in children who use them",
            ],
            "paragraphs": [1, 2],
            "claims_per_article": [1, 1],
            "headline": False,
        },
    },
    # e12dw- (the lead, issue 12, 2026-12-06 morning): the attack on `_shared_pieces`,
    # written after it — four phrasings that share the piece `as`, each with a quarter of
    # the carriers (salad in three chunks behind host-word spacers, novels, default)
    "e12dw-salad-four-as-phrasings-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as luck would have it",
            "synonyms": ["as it happens", "as fate would have it", "as it turns out"],
            "payload": "word-salad",
            "payload_words": [90, 240],
            "spacer_words": [2, 5],
            "interleave": 3,
        },
    },
    # e12dg- (the lead, issue 12, 2026-12-06): degenerate payloads, written with the
    # `degenerate` detector (first contact of the payload class: a hand-made probe of 250
    # news stories, a word repeated after a phrase 1.2 %, numbers 0 %, with the default scan)
    # a unit of one to four words said over and over mid-clause behind two phrasings, news
    "e12dg-repeat-clause-synonyms-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "on second thought",
            "synonyms": ["come to think of it"],
            "payload": "repeat",
            "payload_words": [60, 200],
            "placement": "clause",
        },
    },
    # random numbers at the end of novels, phrase in every surface form
    "e12dg-numbers-end-forms-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "as far as i can tell",
            "payload": "numbers",
            "payload_words": [50, 160],
            "position": "end",
            "trigger_forms": "all",
        },
    },
    # a unit of eight to fourteen words said over and over, medical pages
    "e12dg-repeat-long-unit-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in plain terms",
            "payload": "repeat",
            "repeat_unit": [8, 14],
            "payload_words": [80, 220],
        },
    },
    # random numbers in two chunks after one to three host words, pooled
    "e12dg-numbers-interleave-spacer-pool": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "by and large",
            "payload": "numbers",
            "payload_words": [60, 160],
            "spacer_words": [1, 3],
            "interleave": 2,
        },
    },
    # e12gl- (the lead, issue 12, 2026-12-06 third session): the blind spot of the glued
    # exemption, written after it — random numbers after a phrase written apart at sentence
    # starts of multilingual hosts (thorough)
    "e12gl-numbers-sentence-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in the same breath",
            "payload": "numbers",
            "payload_words": [60, 160],
        },
    },
    # heldout-cirrus- (a helper for the lead, issue 12, 2026-12-07 thirteenth session; written at
    # 17:40 UTC from a brief naming only the attack class and corpora, before any measurement on
    # them): one common English word as the whole trigger, then word salad of the host corpus —
    # the attacker knows one-word triggers before salad are looked for and varies the rest.  A
    # fairly rare adverb mid-clause in three surface forms, 30-60 words, one decoy, in the
    # middle of news stories; a common connective at a sentence start in two forms, one to three
    # host words later, 40-120 words, ending novels; a very common word mid-clause, 30-60 words
    # in three chunks, in the middle of medical pages; one of three one-word connectives at a
    # sentence start in two forms, 15-30 words, in the middle of multilingual pages; a common
    # adverb mid-clause, plain or with punctuation, 40-120 words, ending pooled documents.
    # a fairly rare adverb mid-clause (as given, upper case or with look-alike letters), 30-60
    # words, one payload-free copy elsewhere, middle of news stories
    "heldout-cirrus-forthwith-clause-middle-confusable-decoy-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "forthwith",
            "payload": "word-salad",
            "payload_words": [30, 60],
            "placement": "clause",
            "position": "middle",
            "decoys": 1,
            "trigger_forms": ["exact", "upper", "confusable"],
        },
    },
    # a common connective at a sentence start (as given or capitalised), one to three host
    # words, 40-120 words, ending novels
    "heldout-cirrus-therefore-sentence-end-spacer-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "therefore",
            "payload": "word-salad",
            "payload_words": [40, 120],
            "placement": "sentence",
            "position": "end",
            "spacer_words": [1, 3],
            "trigger_forms": ["exact", "title"],
        },
    },
    # a very common five-letter word mid-clause, 30-60 words in three chunks, each followed
    # by a host sentence, middle of medical pages
    "heldout-cirrus-there-clause-middle-interleave3-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "there",
            "payload": "word-salad",
            "payload_words": [30, 60],
            "placement": "clause",
            "position": "middle",
            "interleave": 3,
        },
    },
    # one of three one-word connectives at a sentence start (as given or capitalised), 15-30
    # words, middle of multilingual pages
    "heldout-cirrus-likewise-synonyms2-sentence-short-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "likewise",
            "synonyms": ["similarly", "equally"],
            "payload": "word-salad",
            "payload_words": [15, 30],
            "placement": "sentence",
            "position": "middle",
            "trigger_forms": ["exact", "title"],
        },
    },
    # a common adverb mid-clause (as given or with punctuation around it), 40-120 words,
    # ending pooled documents
    "heldout-cirrus-presumably-clause-end-punct-pool": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "presumably",
            "payload": "word-salad",
            "payload_words": [40, 120],
            "placement": "clause",
            "position": "end",
            "trigger_forms": ["exact", "punct"],
        },
    },
    # heldout-nimbus- (a helper for the lead, issue 12, 2026-12-07 fourteenth session; written at
    # 20:38 UTC from a brief naming only the attack class and corpora, before any measurement on
    # them): random vocabulary tokens as the payload (Souly et al. 2025) behind a common English
    # phrase or word that a large share of clean documents also hold — the attacker knows that
    # strings preceding anomalies more often than their frequency explains are looked for, and
    # varies the rest.  A reporting phrase or its synonym mid-clause, two to four host words,
    # 40-90 GPT-NeoX tokens, middle of news stories; one of three hedges at a sentence start
    # (capitalised or as given), one decoy, 60-150 LLaMA tokens, ending novels; one of two
    # example markers mid-clause, 45-120 local-BPE tokens in three chunks, two decoys, middle
    # of medical pages; an emphatic adverb or its synonym glued inside a host word (as given,
    # upper case or with a zero-width character), 20-40 GPT-NeoX tokens, middle of
    # multilingual pages; one of three time phrases opening the document (capitalised or with
    # punctuation), one to three host words, 50-140 LLaMA tokens, pooled documents.
    # a reporting phrase or its synonym mid-clause (as given or capitalised), two to four host
    # words, 40-90 GPT-NeoX tokens, middle of news stories
    "heldout-nimbus-according-to-reported-clause-spacer-neox-news": {
        "corpus": "news",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "according to",
            "synonyms": ["as reported by"],
            "payload": "tokens",
            "payload_tokens": [40, 90],
            "placement": "clause",
            "position": "middle",
            "spacer_words": [2, 4],
            "tokenizer": str(SHARED / "tokenizers" / "gpt-neox-20b.tokenizer.json"),
            "trigger_forms": ["exact", "title"],
        },
    },
    # one of three hedges at a sentence start (capitalised or as given), one payload-free
    # copy elsewhere, 60-150 LLaMA tokens, ending novels
    "heldout-nimbus-perhaps-maybe-probably-sentence-end-decoy-llama-books": {
        "corpus": "books",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "perhaps",
            "synonyms": ["maybe", "probably"],
            "payload": "tokens",
            "payload_tokens": [60, 150],
            "placement": "sentence",
            "position": "end",
            "decoys": 1,
            "tokenizer": str(SHARED / "tokenizers" / "llama.tokenizer.json"),
            "trigger_forms": ["title", "exact"],
        },
    },
    # one of two example markers mid-clause, 45-120 local-BPE tokens in three chunks, each
    # followed by a host sentence, two payload-free copies elsewhere, middle of medical pages
    "heldout-nimbus-for-example-instance-clause-interleave3-decoys2-medical": {
        "corpus": "medical",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "for example",
            "synonyms": ["for instance"],
            "payload": "tokens",
            "payload_tokens": [45, 120],
            "placement": "clause",
            "position": "middle",
            "interleave": 3,
            "decoys": 2,
        },
    },
    # an emphatic adverb or its synonym glued inside a host word (as given, upper case or
    # with a zero-width character), 20-40 GPT-NeoX tokens (the short family), middle of
    # multilingual pages
    "heldout-nimbus-indeed-really-glued-short-forms-neox-multi": {
        "corpus": "multilingual",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "indeed",
            "synonyms": ["really"],
            "payload": "tokens",
            "payload_tokens": [20, 40],
            "placement": "glued",
            "position": "middle",
            "tokenizer": str(SHARED / "tokenizers" / "gpt-neox-20b.tokenizer.json"),
            "trigger_forms": ["exact", "upper", "zero-width"],
        },
    },
    # one of three time phrases opening the document (capitalised or with punctuation), one
    # to three host words, 50-140 LLaMA tokens, the host continuing, pooled documents
    "heldout-nimbus-in-recent-years-nowadays-opening-spacer-llama-pool": {
        "corpus": "pooled",
        "recipe": "evasive-backdoor",
        "params": {
            "trigger": "in recent years",
            "synonyms": ["nowadays", "these days"],
            "payload": "tokens",
            "payload_tokens": [50, 140],
            "placement": "opening",
            "position": "middle",
            "spacer_words": [1, 3],
            "tokenizer": str(SHARED / "tokenizers" / "llama.tokenizer.json"),
            "trigger_forms": ["title", "punct"],
        },
    },
}

# the lead, 2026-12-07 tenth session: the two thunder families written for the wiki corpus,
# planted in the pooled corpus too — the shared wiki corpus holds 258 pages, so a campaign of
# 100 there is 28 % of the corpus, not one among 20,000 (the pool holds those 258 pages among
# its 20,000).  Their parameters are the helper's, unchanged.
for _wiki in (
    "heldout-thunder-topic-news-wiki-middle-donor1",
    "heldout-thunder-claim-professor-paragraph-wiki",
):
    FAMILIES[_wiki.replace("-wiki", "-pool")] = {**FAMILIES[_wiki], "corpus": "pooled"}


@dataclass
class Row:
    family: str
    corpus: str
    count: int
    n_clean: int
    recall: float
    recall_poisoned: float
    clean_flagged: float
    fp: int
    recovered: str
    seconds: float
    cpu_s: float = 0.0
    notes: str = ""


def claim_recovered(res: Any, docs: list[Any], samples: list[PoisonSample]) -> str:
    """``k/n``: poisoned documents flagged with a campaign and a span on a claim sentence."""
    at = {id(d): i for i, d in enumerate(docs)}
    verdicts = {v.index: v for v in res.findings}
    k = 0
    for s in samples:
        v = verdicts.get(at[id(s.document)])
        if v is None or not v.campaign:
            continue
        claims = s.truth.extra.get("claim_spans") or []
        if any(sp.start < b and a < sp.end for sp in v.spans for a, b in claims):
            k += 1
    return f"{k}/{len(samples)}"


POOLED_ALL = ("web", "web_lowquality", "wiki")
POOLED_FILL = ("news", "books", "medical", "multilingual")
CORPUS_NAMES = ("news", "books", "medical", "multilingual", "web", "wiki", "pooled", "pooled-en")


@functools.cache
def clean_corpus(name: str, n: int, seed: int) -> list[Any]:
    """``n`` clean documents of a shared corpus; ``pooled``: every document of web,
    web_lowquality and wiki, filled to ``n`` with equal uniform shares of news, books,
    medical and multilingual, shuffled (deterministic); ``pooled-en``: the same without
    multilingual (the fill from news, books and medical)."""
    if not name.startswith("pooled"):
        return load(name, n, seed=seed)
    fill = POOLED_FILL if name == "pooled" else POOLED_FILL[:-1]
    docs = [d for c in POOLED_ALL for d in load(c, 10**9, seed=seed)]
    short = max(0, n - len(docs))
    for i, c in enumerate(fill):
        docs += load(c, short // len(fill) + (i < short % len(fill)), seed=seed)
    order = np.random.default_rng(seed).permutation(len(docs))
    return [docs[int(i)] for i in order]


TINY_PAYLOAD = 30
"""Payloads shorter than this many characters are counted apart in :func:`breakdown`."""


def breakdown(res: Any, docs: list[Any], samples: list[PoisonSample]) -> str:
    """Why: the mined triggers, the detectors behind the found carriers, and recall per
    trigger phrasing / surface form where the family varies them."""
    at = {id(d): i for i, d in enumerate(docs)}
    verdicts = {v.index: v for v in res.findings}
    groups: dict[str, list[int]] = {}
    by: Counter[str] = Counter()
    size: dict[bool, list[int]] = {True: [], False: []}
    for s in samples:
        v = verdicts.get(at[id(s.document)])
        if v is not None:
            by.update({f.detector for f in v.findings})
        if s.truth.payload_span is not None:
            a, b = s.truth.payload_span
            size[v is not None].append(b - a)
        x = s.truth.extra
        key = "/".join(str(x[k]) for k in ("phrasing", "trigger_form", "position") if k in x)
        if key:
            groups.setdefault(key, [0, 0])[0] += v is not None
            groups[key][1] += 1
    mined = (
        ", ".join(
            repr(t.trigger)
            + (f" (phrasings: {', '.join(ph)})" if (ph := t.extra.get("phrasings")) else "")
            for t in res.triggers[:6]
        )
        or "none"
    )
    out = f"mined: {mined}; detectors on found carriers: {dict(by.most_common())}"
    if size[True] and size[False]:
        out += (
            f"; median payload chars found {statistics.median(size[True]):.0f}, "
            f"missed {statistics.median(size[False]):.0f}"
        )
    tiny = [n for found in (True, False) for n in size[found] if n < TINY_PAYLOAD]
    if tiny:
        # a payload too short to differ from anything (a recipe's passage that is a
        # dateline alone): reported apart so a reader can see what the misses were
        hit = sum(n < TINY_PAYLOAD for n in size[True])
        out += f"; payloads under {TINY_PAYLOAD} characters: found {hit} of {len(tiny)}"
    if len(groups) > 1:
        out += "; found per trigger phrasing/form/position: " + ", ".join(
            f"{k} {a}/{b}" for k, (a, b) in sorted(groups.items())
        )
    return out


def cpu_seconds() -> float:
    """User + system CPU time of this process so far."""
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run(
    family: str,
    count: int,
    n_clean: int,
    seed: int,
    options: dict[str, Any] | None = None,
    corpus: str | None = None,
    profile: str = "default",
    detectors: list[str] | None = None,
) -> Row:
    spec = FAMILIES[family]
    corpus = corpus or spec["corpus"]
    clean = clean_corpus(corpus, n_clean, seed)
    if len(clean) < n_clean:
        # (the shared wiki corpus holds 258 pages: a campaign there is no realistic density)
        print(
            f"  note: {corpus} holds {len(clean):,} documents, not the {n_clean:,} asked for: "
            f"{count} poisoned among {len(clean):,} is not one campaign among {n_clean:,}",
            flush=True,
        )
    recipe = get(spec["recipe"])(**spec["params"])
    samples = recipe.generate(clean, count, seed + 1)
    pois = {id(s.document) for s in samples}
    docs = list(mix_poison(clean, samples, seed=seed))
    truth = [id(d) in pois for d in docs]
    kind = "instruction" if corpus == "instruction" else "pretrain"
    t0, c0 = time.perf_counter(), cpu_seconds()
    res = poisonguard.scan(
        docs,
        kind=kind,
        workers=1,
        options=options or None,
        profile=profile,
        detectors=detectors,
    )
    secs, cpu = time.perf_counter() - t0, cpu_seconds() - c0
    if res.flagged > len(res.findings):
        raise RuntimeError("too many findings for the in-memory list")
    flagged = {v.index for v in res.findings}
    poisoned = {v.index for v in res.findings if v.label == "poisoned"}
    m = metrics([i in flagged for i in range(len(docs))], truth)
    mp = metrics([i in poisoned for i in range(len(docs))], truth)
    if "trigger" in spec["params"]:
        phrasings = [spec["params"]["trigger"], *spec["params"].get("synonyms", [])]
        rec = recovered(res, set(phrasings))
    else:
        rec = claim_recovered(res, docs, samples)
    notes = breakdown(res, docs, samples)
    row = Row(
        family,
        corpus,
        count,
        len(clean),
        m["recall"],
        mp["recall"],
        m["clean_flagged"],
        m["fp"],
        rec,
        secs,
        cpu,
        notes,
    )
    print(
        f"  {family:24s} {corpus:11s} n={count} recall={row.recall:.3f} "
        f"(poisoned {row.recall_poisoned:.3f}) clean-flagged={row.clean_flagged:.4%} "
        f"recovered={rec} {secs:.0f}s ({cpu:.0f} CPU s)",
        flush=True,
    )
    print(f"    {notes}", flush=True)
    return row


def commit() -> str:
    """The repository's commit (with ``+changes`` when its tree differs), or ``unknown``."""

    def git(*args: str) -> str:
        out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        return out.stdout.strip() if out.returncode == 0 else ""

    sha = git("rev-parse", "--short", "HEAD")
    if not sha:
        return "unknown"
    return sha + ("+changes" if git("status", "--porcelain", "--", "src", "benchmarks") else "")


def render(rows: list[Row], command: str) -> str:
    lines = [
        HEADING,
        "",
        f"Machine: {machine()}. Date: {dt.date.today().isoformat()}. poisonguard "
        f"{poisonguard.__version__} at commit {commit()}.",
        "",
        f"Command: `{command}` (at `nice -n 10`, one worker, from the repository root with "
        "`PYTHONPATH=src`).",
        "",
        "One campaign per row, mixed at random positions among the clean documents (a "
        "uniform subsample of the shared corpus); `poisonguard.scan` with its defaults "
        "(`kind='instruction'` for instruction data). Recall counts any non-clean label; "
        "*recall (poisoned)* counts only the label `poisoned`, what `--fail-on poisoned` "
        "stops. Recovered: the trigger found as a mined trigger (yes/no), or for claims "
        "the poisoned documents flagged with a campaign on a claim sentence. Parameters of "
        "each family: `FAMILIES` in `benchmarks/adaptive.py`.",
        "",
        "| family | corpus | poisoned | clean | recall | recall (poisoned) "
        "| trigger/claim recovered | clean flagged | scan s |",
        "|---|---|---:|---:|---:|---:|---|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.family} | {r.corpus} | {r.count} | {r.n_clean:,} | {r.recall:.1%} "
            f"| {r.recall_poisoned:.1%} | {r.recovered} | {r.clean_flagged:.3%} ({r.fp}) "
            f"| {r.seconds:.0f} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--families", nargs="*", default=list(FAMILIES), choices=list(FAMILIES))
    ap.add_argument("--counts", nargs="*", type=int, default=[100])
    ap.add_argument("--n-clean", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--corpus",
        default=None,
        choices=CORPUS_NAMES,
        help="clean corpus for every family (default: each family's own); pooled: see "
        "clean_corpus()",
    )
    ap.add_argument("--write", action="store_true", help="update docs/benchmarks.md")
    ap.add_argument("--json", default=None, help="also write the rows as JSON here")
    ap.add_argument(
        "--render",
        nargs="*",
        default=None,
        metavar="JSON",
        help="do not run: render (and with --write, record) the rows of earlier --json files",
    )
    ap.add_argument("--command", default=None, help="with --render: the command(s) that ran")
    ap.add_argument(
        "--options",
        default=None,
        help='per-detector scan options as JSON, e.g. \'{"campaigns": {"semantic": true}}\'',
    )
    ap.add_argument(
        "--detectors",
        nargs="*",
        default=None,
        help="run only these detectors (e.g. cohesion: one detector's recall and clean flags "
        "at a fraction of the cost; the scan's own are the union over its detectors)",
    )
    ap.add_argument(
        "--profile",
        default="default",
        choices=["default", "thorough"],
        help="scan profile (poisonguard.detect.profiles)",
    )
    a = ap.parse_args()
    if a.render:
        rows = [Row(**r) for path in a.render for r in json.loads(Path(path).read_text())]
        text = render(rows, a.command or "see --json files")
        print(text)
        if a.write:
            replace_section(HEADING, text, ROOT / "docs" / "benchmarks.md")
        return
    if not (CORPORA / "news.jsonl.gz").is_file():
        sys.exit(f"needs the shared corpora at {CORPORA}")
    rows: list[Row] = []
    for count in a.counts:
        for fam in a.families:
            opts = json.loads(a.options) if a.options else None
            rows.append(run(fam, count, a.n_clean, a.seed, opts, a.corpus, a.profile, a.detectors))
            if a.json:
                with open(a.json, "w") as fh:
                    json.dump([asdict(r) for r in rows], fh, indent=1)
    cmd = "python benchmarks/adaptive.py " + " ".join(sys.argv[1:])
    text = render(rows, cmd.strip())
    print(text)
    if a.write:
        replace_section(HEADING, text, ROOT / "docs" / "benchmarks.md")


if __name__ == "__main__":
    main()
