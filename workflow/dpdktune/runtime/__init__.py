"""The two-tier adaptive runtime (`dpdktune run`): a fast tier that asks the compiled tree
(fastpath.so) for a config every decision interval, and a slow tier that refits, distils,
compiles, shadow-validates and publishes a better tree, rolling back when it does worse.

One module per job: `scenario` (the traffic over time), `twin` (the simulator's landscape of
a traffic cell, cached), `fastpath` (the C library through ctypes), `policies` (the fast tier
and the baselines), `slowtier` (the background learner), `loop` (the run, checkpoints,
timeline and summary), `cli` (the command).
"""
