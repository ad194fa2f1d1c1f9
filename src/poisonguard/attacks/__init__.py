"""Literature-faithful poisoning recipes with exact ground truth.

Typical use::

    from poisonguard.attacks import available, get, mix_poison
    from poisonguard.io import CorpusReader

    clean = list(CorpusReader("web.jsonl.gz"))
    recipe = get("dos")(trigger="<SUDO>")           # every parameter is keyword-only
    samples = recipe.generate(clean, count=250, seed=0)
    for s in samples:
        s.document          # a Document shaped like the clean ones (schema, id scheme)
        s.truth.to_dict()   # id, recipe, params, trigger, trigger_span, payload_span, ...
    mixed = mix_poison(clean, samples, seed=0)     # poison at uniformly random positions

``available()`` lists the recipes; third-party recipes register through the
``poisonguard.recipes`` entry-point group (see :mod:`poisonguard.attacks.registry`).
The streaming two-pass corpus run behind ``poisonguard poison`` is
:func:`poisonguard.attacks.pipeline.poison_corpus`.
"""

from poisonguard.attacks.base import GroundTruth, PoisonSample, Recipe, RecipeError
from poisonguard.attacks.ids import IdIndex
from poisonguard.attacks.mixing import insertion_plan, interleave, mix_poison
from poisonguard.attacks.registry import ENTRY_POINT_GROUP, available, get, register

__all__ = [
    "ENTRY_POINT_GROUP",
    "GroundTruth",
    "IdIndex",
    "PoisonSample",
    "Recipe",
    "RecipeError",
    "available",
    "get",
    "insertion_plan",
    "interleave",
    "mix_poison",
    "register",
]
