"""The clock a board build asks for: PLL parameters for it and the PLL instance.

``plan_pll(family, input_mhz, target_mhz)`` searches the part's divider space for the output
frequency closest to the target (like Project Trellis' ``ecppll`` and IceStorm's ``icepll``)
and returns a ``PllConfig``: dividers, the VCO / phase-detector frequencies they give and the
achieved output. A target no divider setting reaches is refused with the achievable range.

Formulas (simple feedback from the output, as the vendor tools use):

- ECP5 ``EHXPLLL``: ``fout = fin * CLKFB_DIV / CLKI_DIV``, ``fvco = fout * CLKOP_DIV``;
  limits fpfd = fin / CLKI_DIV in 3.125-400 MHz, fvco in 400-800 MHz, fout in 10-400 MHz,
  CLKI_DIV 1-128, CLKFB_DIV 1-80, CLKOP_DIV 1-128.
- iCE40 ``SB_PLL40_*`` (FEEDBACK_PATH SIMPLE): ``fout = fin * (DIVF + 1) / ((DIVR + 1) *
  2**DIVQ)``; limits fin 10-133 MHz, fpfd = fin / (DIVR + 1) in 10-133 MHz, fvco = fpfd *
  (DIVF + 1) in 533-1066 MHz, fout in 16-275 MHz, DIVR 0-15, DIVF 0-127, DIVQ 1-6; the loop
  filter range follows fpfd.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import AlloError

# family -> limits (MHz) of the searched configurations
LIMITS = {
    "ecp5": {"input": (8.0, 400.0), "pfd": (3.125, 400.0), "vco": (400.0, 800.0),
             "output": (10.0, 400.0)},
    "ice40": {"input": (10.0, 133.0), "pfd": (10.0, 133.0), "vco": (533.0, 1066.0),
              "output": (16.0, 275.0)},
}

EDGE_TOLERANCE = 0.01     # a target this close outside the achievable range gets its end

# iCE40 loop filter: the lowest range whose upper fpfd bound (MHz) is above the PFD frequency
_ICE40_FILTER_BOUNDS = (17.0, 26.0, 44.0, 66.0, 101.0)


@dataclass(frozen=True)
class PllConfig:
    family: str
    input_mhz: float
    requested_mhz: float
    output_mhz: float               # what the dividers give (the build's real clock)
    vco_mhz: float
    pfd_mhz: float
    dividers: dict = field(default_factory=dict)

    def summary(self) -> dict:
        return {"family": self.family, "input_mhz": self.input_mhz,
                "requested_mhz": self.requested_mhz, "output_mhz": round(self.output_mhz, 4),
                "vco_mhz": round(self.vco_mhz, 4), "pfd_mhz": round(self.pfd_mhz, 4),
                **self.dividers}


def _inside(value: float, bounds) -> bool:
    lo, hi = bounds
    return lo <= value <= hi


def _ecp5_candidates(fin: float):
    lim = LIMITS["ecp5"]
    for clki in range(1, 129):
        fpfd = fin / clki
        if not _inside(fpfd, lim["pfd"]):
            continue
        for clkfb in range(1, 81):
            fout = fpfd * clkfb
            if not _inside(fout, lim["output"]):
                continue
            # the smallest output divider that lifts the VCO into its range: a VCO low in
            # its range draws the least power, and any valid divider gives the same fout
            for clkop in range(max(1, int(lim["vco"][0] // fout)), 129):
                fvco = fout * clkop
                if fvco > lim["vco"][1]:
                    break
                if fvco >= lim["vco"][0]:
                    yield fout, fvco, fpfd, {"CLKI_DIV": clki, "CLKFB_DIV": clkfb,
                                             "CLKOP_DIV": clkop}
                    break


def _ice40_candidates(fin: float):
    lim = LIMITS["ice40"]
    for divr in range(16):
        fpfd = fin / (divr + 1)
        if not _inside(fpfd, lim["pfd"]):
            continue
        for divf in range(128):
            fvco = fpfd * (divf + 1)
            if not _inside(fvco, lim["vco"]):
                continue
            for divq in range(1, 7):
                fout = fvco / (1 << divq)
                if _inside(fout, lim["output"]):
                    filt = 1 + sum(fpfd >= b for b in _ICE40_FILTER_BOUNDS)
                    yield fout, fvco, fpfd, {"DIVR": divr, "DIVF": divf, "DIVQ": divq,
                                             "FILTER_RANGE": filt}


_CANDIDATES = {"ecp5": _ecp5_candidates, "ice40": _ice40_candidates}


def achievable_range(family: str, input_mhz: float) -> tuple:
    outs = [c[0] for c in _CANDIDATES[family](input_mhz)]
    return (min(outs), max(outs)) if outs else None


def plan_pll(family: str, input_mhz: float, target_mhz: float) -> PllConfig:
    """The configuration whose output is closest to ``target_mhz`` (first found on a tie:
    the smallest input divider, as ecppll/icepll search). A target more than
    ``EDGE_TOLERANCE`` outside the range the dividers make is refused."""
    if family not in LIMITS:
        raise AlloError(f"no PLL support for the {family} family",
                        hint="build at the board's oscillator (leave clock_mhz unset)")
    lim = LIMITS[family]
    if not _inside(input_mhz, lim["input"]):
        raise AlloError(f"the {family} PLL takes a {lim['input'][0]:g}-{lim['input'][1]:g} MHz "
                        f"reference; this board's oscillator is {input_mhz:g} MHz",
                        hint="build at the board's oscillator (leave clock_mhz unset)")
    best = None
    for cand in _CANDIDATES[family](input_mhz):
        if best is None or abs(cand[0] - target_mhz) < abs(best[0] - target_mhz):
            best = cand
    lo, hi = achievable_range(family, input_mhz)
    # just past an end of the range the end itself is the closest clock (icepll makes
    # 16.016 MHz of a 16 MHz request from 100 MHz); further out the request is impossible
    if best is None or not lo * (1 - EDGE_TOLERANCE) <= target_mhz <= hi * (1 + EDGE_TOLERANCE):
        raise AlloError(f"clock_mhz={target_mhz:g} is out of reach of the {family} PLL from "
                        f"the {input_mhz:g} MHz oscillator: it makes {lo:g}-{hi:.6g} MHz",
                        hint=f"ask for a clock between {lo:g} and {hi:.6g} MHz, or leave "
                             f"clock_mhz unset to run at {input_mhz:g} MHz")
    fout, fvco, fpfd, dividers = best
    return PllConfig(family, input_mhz, target_mhz, fout, fvco, fpfd, dividers)
