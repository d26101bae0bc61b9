"""Design-space exploration over schedule parameters (``explore``), with the fast cycle model
for cycles and a report-based resource estimate; see ``explore.py``."""
from .explore import Exploration, evaluate, explore
from .pareto import dominates, pareto_front
from .space import Space

__all__ = ["Exploration", "Space", "dominates", "evaluate", "explore", "pareto_front"]
