"""Where Allo's programs look for vendor backends (``allo.backend.hls``). allo-rtl builds
hardware itself (``s.build()``); these modules answer Allo's questions truthfully."""
