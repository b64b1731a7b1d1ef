"""Compile a distilled decision tree into the data-plane fast path (fastpath.so).

Three stages, one module each: `tree_table` (the flat node-table format, tree.json),
`render` (Jinja -> C with exact float32 thresholds) and `build` (cc -> fastpath.so).
"""
