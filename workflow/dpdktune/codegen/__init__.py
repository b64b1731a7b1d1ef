"""Compile the deployed decision tree into the data-plane fast path (fastpath.so).

Three stages: `dpdktune.treelayout` lays tree.json (read through `dpdktune.treefile`) out as the
C node table (a neutral module: distill and the runtime use its NumPy twin too), `render`
(Jinja -> C with exact float32 thresholds) and `build` (cc -> fastpath.so).
"""
