"""``allo.backend.hls``: Allo's HLS C++ backends (Vivado/Vitis HLS, TAPA, Catapult, ...).

allo-rtl does not generate HLS C++ or drive vendor tools; it lowers kernels to Amaranth
itself. ``is_available`` is how Allo's scripts decide whether to run a vendor flow, so it
answers False: no vendor HLS tool is used here, whatever is installed.
"""
from __future__ import annotations

VENDOR_TOOLS = ("vivado_hls", "vitis_hls", "tapa", "catapult", "xls", "aie")


def is_available(backend: str = "vivado_hls") -> bool:
    """False: allo-rtl runs no vendor HLS tool. Build with ``s.build()`` (Amaranth)."""
    return False
