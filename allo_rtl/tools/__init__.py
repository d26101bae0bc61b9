"""Developer tools that use the whole stack (above boards): the operator-timing
characterization (``python -m allo_rtl.tools.characterize``)."""
