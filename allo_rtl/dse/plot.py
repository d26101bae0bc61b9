"""The Pareto plot of an exploration: cycles (x, log) against LUTs (y), DSPs as colour, the
front's points ringed and joined in cycle order (matplotlib, PNG and SVG)."""
from __future__ import annotations

from pathlib import Path


def plot_front(exp, stem, title: str = "") -> list:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    pts = exp.feasible
    fig, ax = plt.subplots(figsize=(7, 4.5))
    sc = ax.scatter([p["cycles"] for p in pts], [p["lut"] for p in pts],
                    c=[p["dsp"] for p in pts], cmap="viridis", s=22, label="points")
    front = sorted(exp.front, key=lambda p: (p["cycles"], p["lut"]))
    ax.scatter([p["cycles"] for p in front], [p["lut"] for p in front], s=90,
               facecolors="none", edgecolors="red", label="Pareto front (cycles, LUT, DSP)")
    ax.plot([p["cycles"] for p in front], [p["lut"] for p in front], "r--", lw=0.8)
    ax.set_xscale("log")
    ax.set_xlabel("cycles (fast cycle model, exact)")
    ax.set_ylabel("LUT (estimate)")
    fig.colorbar(sc, label="DSP (estimate)")
    refused = len(exp.points) - len(pts)
    ax.set_title(title or f"{len(pts)} points" + (f", {refused} refused" if refused else ""))
    ax.legend(fontsize=8)
    fig.tight_layout()
    paths = []
    for ext in ("png", "svg"):
        path = Path(f"{stem}.{ext}")
        fig.savefig(path)
        paths.append(path)
    plt.close(fig)
    return paths
