"""dpdktune: measure the DPDK tuning landscape and compile a data-plane policy."""

__version__ = "0.1.0"
