"""Hand-written Amaranth versions of benchmark kernels, with the generated kernels' interface
(start/done/idle, ap_memory ports), so the same board top wraps either one."""
