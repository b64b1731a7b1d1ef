"""Compile a distilled decision tree into the data-plane fast path (fastpath.so).

Three stages, one module each: `layout` (tree.json, read through `dpdktune.treefile`, as the C node table),
`render` (Jinja -> C with exact float32 thresholds) and `build` (cc -> fastpath.so).
"""
