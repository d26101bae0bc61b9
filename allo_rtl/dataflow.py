"""``import allo.dataflow as df``: Allo's dataflow API.

``@df.region()`` marks a function whose ``@df.kernel(mapping=[P0, P1], args=[...])`` stages
run concurrently, joined by the streams the region declares (``pipe: Stream[T, d]``,
``fifo: Stream[T, d][P0, P1]``); ``df.get_pid()`` gives a PE its indices, and
``allo.meta_if``/``meta_for`` specialize each PE when it is parsed. ``df.customize(top)``
gives the region's Schedule; ``df.build(top, target="simulator")`` runs it on the reference
interpreter as a deterministic Kahn process network (Allo's simulator target), returning a
callable that writes results into its array arguments as Allo's does.
"""
from __future__ import annotations

from .errors import AlloError
from .frontend.dataflow import get_pid, kernel, region
from .schedule import Schedule
from .schedule import customize as _customize
from .schedule.handles import call_site

# Allo's simulator is an interpreter; ours is the reference interpreter
TARGET_ALIASES = {"simulator": "python"}
VENDOR_TARGETS = ("vhls", "vivado_hls", "vitis_hls", "tapa", "catapult", "ihls", "aie")


def customize(func, enable_tensor: bool = False, opt_default: bool = False, **options) -> Schedule:
    """Parse a region (or a kernel) into a Schedule; Allo's ``df.customize``."""
    if not getattr(func, "_df_region", False) and not getattr(func, "_df_kernel", None):
        raise AlloError(f"df.customize needs a @df.region() function, not {func!r:.60}",
                        call_site(), hint="decorate the top function with @df.region()")
    return _customize(func, enable_tensor=enable_tensor, **options)


def build(func, target: str | None = None, mode: str | None = None, project=None,
          configs=None, wrap_io: bool = True, **options):
    """Build a region: ``target="simulator"`` (or "python") runs the interpreter; the
    other targets are ``s.build``'s. Allo's vendor-HLS targets are refused: allo-rtl makes
    no HLS C++."""
    if target in VENDOR_TARGETS:
        raise AlloError(f"target={target!r} generates HLS C++ for a vendor tool, which "
                        "allo-rtl does not do", call_site(),
                        hint="df.build(top, target='simulator') runs the interpreter; "
                             "s.build() makes hardware")
    s = func if isinstance(func, Schedule) else customize(func)
    return s.build(target=TARGET_ALIASES.get(target, target), project=project, **options)


__all__ = ["region", "kernel", "get_pid", "customize", "build"]
