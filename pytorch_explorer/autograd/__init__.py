"""Autograd made visible: `graph` walks a result's `grad_fn` into nodes and edges and replays
backward step by step; `presets` are the page's ready examples; `figures` draws the graph."""
