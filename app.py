"""PyTorch Explorer: the entry point (`streamlit run app.py`) and the home page."""

from __future__ import annotations

import streamlit as st

from ui.i18n import language_switch, tr
from ui.workspace import workspace

PAGES = [
    ("pages/article.py", "Read the article", "article", ":material/menu_book:",
     "The article itself, section by section, in English or its original Chinese, every snippet runnable."),
    ("pages/tensor_playground.py", "Tensor playground", "tensors", ":material/grid_on:",
     "Make tensors, apply 200+ torch operations and expressions, and check each against numpy."),
    ("pages/autograd_explorer.py", "Autograd explorer", "autograd", ":material/account_tree:",
     "Watch the graph being recorded, then step backwards through it and see every gradient."),
    ("pages/optimizers.py", "Optimizers", "optim", ":material/trending_down:",
     "torch.optim's optimizers race on loss surfaces; see each step, its state and the learning-rate schedule."),
    ("pages/nn_modules.py", "nn modules", "nn", ":material/layers:",
     "Build a model from layers: its parameters, state_dict, shapes layer by layer, train() vs eval()."),
    ("pages/toy_networks.py", "Toy networks", "toy-networks", ":material/hub:",
     "The article's 4-3-1 network in numpy and in PyTorch, trained live, with its bugs and their fixes."),
    ("pages/playground.py", "Toy playground", "playground", ":material/scatter_plot:",
     "TensorFlow Playground in PyTorch: pick features, layers and neurons, and watch every unit learn."),
    ("pages/data_loading.py", "Data loading", "data-loading", ":material/dataset:",
     "Dataset, Sampler and DataLoader on the digits: which samples each batch draws, and how fast."),
    ("pages/digits_trainer.py", "Digits: train", "digits-trainer", ":material/model_training:",
     "Train the article's digit MLP on CPU or GPU, as the article wrote it and done right."),
    ("pages/digits_probe.py", "Digits: probe", "digits-probe", ":material/draw:",
     "Draw or upload a digit and see what the model thinks, and why."),
    ("pages/digits_compare.py", "Digits: compare", "digits-compare", ":material/compare:",
     "Baselines from scikit-learn, per-class metrics, and maps of what the hidden layer learned."),
    ("pages/runs.py", "Runs", "runs", ":material/history:",
     "Every run of this workspace: compare their curves, rename, export or import models, open one in the probe."),
]


@st.cache_resource(show_spinner=False)
def this_machine() -> tuple[str, list[dict[str, str]]]:
    """The torch version and the devices it sees: the same for every session, so looked up once."""
    import torch

    from pytorch_explorer.core.devices import available_devices
    from pytorch_explorer.core.threads import use_server_threads

    use_server_threads()
    return torch.__version__, [{"device": d.name, "what it is": d.description} for d in available_devices()]


def home() -> None:
    st.title("PyTorch Explorer")
    st.write(tr(
        "Learn PyTorch by doing. Each page takes one idea from the article [*An Introduction to PyTorch*]"
        "(https://www.analyticsvidhya.com/blog/2018/02/pytorch-tutorial/) (Analytics Vidhya, 2018; its "
        "learners read it in Chinese translation): tensors, autograd, the same network in numpy and "
        "PyTorch, a digit recogniser. Each page lets you change its idea, and shows the PyTorch code "
        "behind what it just did."
    ))
    st.subheader(tr("Start here"))
    st.write(tr(
        "The pages follow the article's order: the article itself, tensors and their operations, autograd, "
        "the optimizers and nn modules, the same small network in numpy and PyTorch, data loading, then the "
        "case study, a digit recogniser. New to PyTorch? Take them in turn; each stands on its own too."
    ))
    for step, (path, title, _, icon, blurb) in enumerate(PAGES, start=1):
        st.page_link(path, label=f"**{step}. {tr(title)}**: {tr(blurb)}", icon=icon)
    st.caption(tr("中文: choose 中文 under Language in the sidebar, or open the app at ?lang=zh."))
    st.subheader(tr("This machine"))
    version, devices = this_machine()  # torch is imported here, after the text above is on screen
    st.write(f"PyTorch **{version}**")
    st.table([{tr("device"): d["device"], tr("what it is"): d["what it is"]} for d in devices])
    st.caption(tr("CPU always works; a CUDA GPU or Apple MPS is used when the pages' device select says so."))


def navigation() -> st.navigation:
    pages = [st.Page(home, title=tr("Home"), icon=":material/home:", default=True)]
    pages += [st.Page(path, title=tr(title), url_path=url, icon=icon) for path, title, url, icon, _ in PAGES]
    return st.navigation(pages, expanded=True)  # all thirteen pages listed, none behind "View more"


st.set_page_config(page_title="PyTorch Explorer", page_icon=":material/local_fire_department:", layout="wide")
language_switch()  # English / 中文, in the sidebar of every page and in the URL (?lang=zh)
page = navigation()
workspace()  # this browser's workspace id, kept in the URL (?ws=...) on every page
if page.url_path:  # a page of the app (they all use torch; the home page imports it last, in this_machine)
    from pytorch_explorer.core.threads import use_server_threads

    use_server_threads()
page.run()
