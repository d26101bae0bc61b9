"""A search space over a schedule function: named parameters, each a list of choices.

``Space(unroll=[1, 2, 4], pipeline=["j", "k", None])`` is the cartesian product of its
choices, in a fixed order (the first parameter varies slowest), so a sweep is reproducible;
``points(limit, seed)`` takes an evenly random subset when the product is larger than limit.
"""
from __future__ import annotations

import itertools
import random

from ..errors import AlloError


class Space:
    def __init__(self, **choices):
        if not choices:
            raise AlloError("a search space needs at least one parameter",
                            hint="dse.Space(unroll=[1, 2, 4], pipeline=['j', None])")
        for name, values in choices.items():
            if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
                raise AlloError(f"search-space parameter {name!r} must be a list of choices, "
                                f"not {values!r}", hint=f"{name}=[{values!r}]")
            if len(list(values)) == 0:
                raise AlloError(f"search-space parameter {name!r} has no choices")
        self.choices = {k: list(v) for k, v in choices.items()}

    def __len__(self):
        n = 1
        for v in self.choices.values():
            n *= len(v)
        return n

    def points(self, limit: int | None = None, seed: int = 0) -> list:
        """Every point (a dict of choices), or ``limit`` of them drawn without repetition."""
        names = list(self.choices)
        every = [dict(zip(names, combo)) for combo in
                 itertools.product(*(self.choices[n] for n in names))]
        if limit is None or limit >= len(every):
            return every
        keep = sorted(random.Random(seed).sample(range(len(every)), limit))
        return [every[k] for k in keep]

    def __repr__(self):
        inner = ", ".join(f"{k}={v!r}" for k, v in self.choices.items())
        return f"Space({inner})"
