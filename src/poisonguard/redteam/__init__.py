"""Red-teaming a user's own curation pipeline: what poison survives each stage.

Typical use::

    from poisonguard.io import CorpusReader
    from poisonguard.redteam import DatatrovePipeline, ShellPipeline, redteam, write_reports

    clean = list(CorpusReader("news.jsonl.gz"))
    result = redteam(
        clean,
        DatatrovePipeline("standard"),          # or ShellPipeline("python f.py {in} {out}")
        ["dos", "dos-bytes", "targeted-claim"],
        count=250,
        seeds=[0, 1, 2],
        common={"entity": "the MMR vaccine", "claim": "causes autism in children"},
        with_scan=True,                          # poisonguard scan as the last stage
    )
    write_reports(result, "redteam-out")         # report.json + report.html
    result.final_survival()                      # recipe -> share of poison that got through

Layer: application (imports io, attacks, detect via ``poisonguard.scan``); never the CLI.
"""

from poisonguard.redteam.chains import STANDARD, ChainError, load_steps, standard_chain
from poisonguard.redteam.matching import Matcher, MatchStats, text_digest
from poisonguard.redteam.pipelines import (
    DatatrovePipeline,
    PipelineError,
    ShellPipeline,
    StageOutput,
)
from poisonguard.redteam.report import render_html_string, write_reports
from poisonguard.redteam.run import (
    SCAN_STAGE,
    RedteamError,
    RedteamResult,
    RunOutcome,
    StageSummary,
    redteam,
)

__all__ = [
    "SCAN_STAGE",
    "STANDARD",
    "ChainError",
    "DatatrovePipeline",
    "MatchStats",
    "Matcher",
    "PipelineError",
    "RedteamError",
    "RedteamResult",
    "RunOutcome",
    "ShellPipeline",
    "StageOutput",
    "StageSummary",
    "load_steps",
    "redteam",
    "render_html_string",
    "standard_chain",
    "text_digest",
    "write_reports",
]
