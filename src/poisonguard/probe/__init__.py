"""Probing trained models for backdoors (garak-style: generators, probes, detectors).

* :mod:`poisonguard.probe.generators` — what is probed (:class:`LabGenerator` for models
  trained by ``poisonguard lab``; the :class:`Generator` protocol for others);
* :mod:`poisonguard.probe.backdoor` — the trigger probe: candidate triggers (from a scan,
  a STIX bundle or by hand) against null suffixes of clean text and look-alike strings,
  judged by the naturalness detector's word-bigram model (``poisonguard probe triggers``).
"""

from poisonguard.probe.backdoor import (
    ProbeReport,
    TextJudge,
    TriggerResult,
    candidates_from,
    null_suffixes,
    probe_triggers,
    prompts_from,
    shape_controls,
)
from poisonguard.probe.generators import Generator, LabGenerator

__all__ = [
    "Generator",
    "LabGenerator",
    "ProbeReport",
    "TextJudge",
    "TriggerResult",
    "candidates_from",
    "null_suffixes",
    "probe_triggers",
    "prompts_from",
    "shape_controls",
]
