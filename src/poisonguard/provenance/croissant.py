"""Optional Croissant (MLCommons, JSON-LD) metadata for a corpus and its manifest.

Describes the corpus files and the manifest as ``cr:FileObject`` distributions with their
SHA-256, and one ``cr:RecordSet`` with the manifest's fields, so dataset catalogues and
loaders that read Croissant 1.0 can find the provenance data.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from poisonguard.provenance.canonical import file_sha256
from poisonguard.provenance.manifest import ManifestSummary

CONTEXT: dict[str, Any] = {
    "@language": "en",
    "@vocab": "https://schema.org/",
    "sc": "https://schema.org/",
    "cr": "http://mlcommons.org/croissant/",
    "rai": "http://mlcommons.org/croissant/RAI/",
    "dct": "http://purl.org/dc/terms/",
    "citeAs": "cr:citeAs",
    "column": "cr:column",
    "conformsTo": "dct:conformsTo",
    "data": {"@id": "cr:data", "@type": "@json"},
    "dataType": {"@id": "cr:dataType", "@type": "@vocab"},
    "examples": {"@id": "cr:examples", "@type": "@json"},
    "extract": "cr:extract",
    "field": "cr:field",
    "fileObject": "cr:fileObject",
    "fileProperty": "cr:fileProperty",
    "format": "sc:encodingFormat",
    "jsonPath": "cr:jsonPath",
    "md5": "cr:md5",
    "recordSet": "cr:recordSet",
    "sha256": "cr:sha256",
    "source": "cr:source",
    "containedIn": "cr:containedIn",
}

_FIELDS = [
    ("id", "sc:Text", "document id"),
    ("sha256", "sc:Text", "SHA-256 of the text"),
    ("size", "sc:Integer", "text size in UTF-8 bytes"),
    ("record_sha256", "sc:Text", "SHA-256 of the JCS form of the whole record"),
    ("source", "sc:URL", "source URI"),
    ("source_id", "sc:Text", "source / dataset id"),
    ("license", "sc:Text", "SPDX licence id"),
    ("license_raw", "sc:Text", "licence as written in the record"),
]


def croissant_metadata(
    name: str,
    corpus_files: Iterable[str | os.PathLike[str]],
    manifest: ManifestSummary,
    *,
    description: str = "",
    license: str | None = None,
) -> dict[str, Any]:
    """Croissant 1.0 JSON-LD for a corpus (files hashed here) and its manifest."""
    dist: list[dict[str, Any]] = []
    for f in corpus_files:
        p = Path(f)
        dist.append(
            {
                "@type": "cr:FileObject",
                "@id": p.name,
                "name": p.name,
                "contentUrl": p.resolve().as_uri(),
                "contentSize": f"{p.stat().st_size} B",
                "sha256": file_sha256(str(p)),
            }
        )
    mname = manifest.path.name
    dist.append(
        {
            "@type": "cr:FileObject",
            "@id": mname,
            "name": mname,
            "contentUrl": manifest.path.resolve().as_uri(),
            "encodingFormat": "application/jsonlines",
            "sha256": manifest.sha256,
            "description": f"poisonguard manifest: {manifest.count} JCS records sorted "
            f"by id; RFC 6962 Merkle root {manifest.root}",
        }
    )
    fields = [
        {
            "@type": "cr:Field",
            "@id": f"manifest/{n}",
            "name": n,
            "description": d,
            "dataType": t,
            "source": {"fileObject": {"@id": mname}, "extract": {"jsonPath": f"$.{n}"}},
        }
        for n, t, d in _FIELDS
    ]
    meta: dict[str, Any] = {
        "@context": CONTEXT,
        "@type": "sc:Dataset",
        "name": name,
        "description": description or f"{name}: corpus with a signed provenance manifest",
        "conformsTo": "http://mlcommons.org/croissant/1.0",
        "distribution": dist,
        "recordSet": [
            {"@type": "cr:RecordSet", "@id": "manifest", "name": "manifest", "field": fields}
        ],
    }
    if license:
        meta["license"] = license
    return meta
