"""Adapters to the pipelines people already run (optional dependencies, imported lazily).

* :mod:`poisonguard.integrations.datatrove` — a datatrove filter step that drops what a
  poisonguard scan quarantined, or what shared STIX indicators match.
"""
