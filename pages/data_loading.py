"""Data loading: Dataset, Sampler and DataLoader on the digits; which samples one epoch draws (the article's
rng.choice batches among the choices), and one epoch of a DataLoader timed against tensors kept on the device."""

from __future__ import annotations

import streamlit as st

import ui
import ui.settings
from pytorch_explorer.core.devices import resolve_device
from pytorch_explorer.loading.code import loading_code
from pytorch_explorer.loading.datasets import training_digits
from ui import data_loading as view
from ui.i18n import tr
from ui.settings import report_ignored

raw_query = ui.settings.snapshot()  # the settings in the address, before the controls take them

st.title(tr("Data loading"))
st.write(tr(
    "The article draws its batches by hand: `rng.choice(n, batch_size)`. PyTorch splits that job in three. "
    "A **Dataset** says how many samples there are (`__len__`) and gives the i-th one (`__getitem__`). A "
    "**Sampler** decides which indices an epoch visits, and in what order. A **DataLoader** asks the sampler "
    "for a batch of indices, fetches those samples from the dataset (in worker processes if `num_workers > 0`), "
    "and joins them into one batch with its `collate_fn`. Here they run on the digits' 70% training split. "
    "Pick a sampler and see which digits one epoch draws."
))
url_note = st.container()  # filled at the end: a note on the address's values the controls could not take
settings = None
with ui.friendly_errors(tr("Those settings")):
    settings = view.loader_controls()
digits = view.bundled_digits()

tab_epoch, tab_speed = st.tabs([tr("One epoch, drawn"), tr("How fast")])
data = None
with tab_epoch, ui.friendly_errors(tr("Drawing that epoch")):
    if settings is not None:
        data = training_digits(digits.images, digits.labels, settings.keep)
        st.caption(tr("{n} training digits (the first 70% of {rows}); the sampler draws indices 0 to {last} into "
                      "them. The same seed always draws the same epoch.", n=f"{len(data):,}", rows=f"{data.csv_rows:,}",
                      last=f"{len(data) - 1:,}"))
        view.show_epoch(data, settings)

with tab_speed, ui.friendly_errors(tr("The timing")):
    st.write(tr(
        "How long one epoch of batches takes to arrive, measured on this server when you press the button "
        "(so numbers vary from run to run and with what else the server is doing). The DataLoader: the "
        "Dataset above, a RandomSampler, the collate_fn, each batch then moved to the device. The trainer's fast "
        "path (Digits: train): the digits converted and moved to the device once, then each epoch one "
        "`torch.randperm` and one `index_select` a batch. With `num_workers > 0` the DataLoader is timed twice, "
        "without and with worker processes (started each epoch, so their start-up counts)."
    ))
    repeats, device = view.timing_controls()
    if st.button(tr("Time one epoch"), type="primary", key="dl_time", disabled=data is None):
        progress = st.empty()
        st.session_state.dl_timing_rows = view.run_timing(data, settings, repeats, device, progress)
        st.session_state.dl_timing_what = {"n": f"{len(data):,}", "batch": f"{settings.batch_size:,}",
                                           "workers": settings.num_workers, "device": resolve_device(device).type}
    what = st.session_state.get("dl_timing_what")
    if (rows := st.session_state.get("dl_timing_rows")) and isinstance(what, dict):
        st.caption(view.timing_caption(what))
        view.show_timing(rows, what["device"])
    else:
        st.info(tr("Press **Time one epoch** to measure both on this server."))

if settings is not None:
    ui.code_expander(loading_code(settings), title=tr("PyTorch code: this Dataset, sampler and DataLoader, one epoch"))

with url_note:
    report_ignored(raw_query, view.SETTING_KEYS)
