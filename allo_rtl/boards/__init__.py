"""Board wrappers on amaranth-boards, bitstream builds and timing/resource reports (to come)."""
