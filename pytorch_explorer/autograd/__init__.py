"""Autograd made visible, one job a module, each importing only the ones above it:

- recorder: watches the forward pass (a TorchFunctionMode) and writes each torch call back as code;
- graph: `trace` walks the output's `grad_fn` into nodes and edges, adds values and formulas, and
  replays backward step by step with hooks; finite-difference checks;
- figures: draws a graph (DOT for st.graphviz_chart) and says in words what each step did;
- code: the plain PyTorch snippet the page shows for a graph;
- names: a name that is not an input, said in the page's terms (`trace_expression`);
- presets: the page's ready examples, the inputs typed as text, `explore`, the dynamic graphs.
"""
