"""Developer tools that use the whole stack (above boards): the operator-timing
characterization (``python -m allo_rtl.tools.characterize``) and the sequential-equivalence
check of two Verilog files of one kernel (``python -m allo_rtl.tools.same_hardware``)."""
