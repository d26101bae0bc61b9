"""The Pareto front of evaluated points: those no other point beats or ties on every
objective while beating it on one (all objectives minimized)."""
from __future__ import annotations

OBJECTIVES = ("cycles", "lut", "dsp")


def dominates(a: dict, b: dict, objectives=OBJECTIVES) -> bool:
    return all(a[k] <= b[k] for k in objectives) and any(a[k] < b[k] for k in objectives)


def pareto_front(points: list, objectives=OBJECTIVES) -> list:
    """The non-dominated ones of ``points`` (dicts holding every objective), in input order;
    points with equal objectives are all kept."""
    return [p for p in points if not any(dominates(q, p, objectives) for q in points)]
