"""Compile a distilled decision tree into the data-plane fast path (issue #5 §4).

Three stages, one module each: `tree_table` (the flat node-table format, tree.json),
`render` (Jinja -> C with exact float32 thresholds) and `build` (cc -> fastpath.so).
"""
