"""The probe page's new views: a CNN's feature maps and filters, and my digits (keep a drawing, the gallery,
fine-tuning, export and import); in a browser: draw a digit, keep it, see it in the gallery."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
from conftest import expect_no_exception, open_page, screenshot, wait_idle
from PIL import Image, ImageDraw
from test_digits_probe_page import PICK, captions, chart, metric, open_tab, probe_page
from test_my_digits_finetune import shifted
from test_probe_conv import cnn_model

from pytorch_explorer.digits import mine
from pytorch_explorer.digits.data import load_bundled
from pytorch_explorer.digits.training import TrainConfig, train_to_completion
from ui.workspace import run_store


@pytest.fixture(scope="module")
def tiny():
    trained = train_to_completion(TrainConfig(epochs=1, hidden=32, device="cpu"))
    trained.name = "tiny"
    return trained


def my_digits_of(at) -> mine.MyDigits:
    """The page's my-digits folder, opened as a new object (what a reload or a restart sees)."""
    return mine.MyDigits.for_workspace(run_store().root, at.session_state["workspace"])


def drawn_seven() -> dict:
    """What the canvas component sends after a stroke: its drawing as a PNG data URL (white on transparent)."""
    image = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(image).line([(70, 60), (205, 60), (125, 240)], fill=(255, 255, 255, 255), width=20)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    url = "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
    return {"drawing": {"raw": {"objects": [], "background": "#000000"}, "data": url}, "backgroundFit": None}


def chart_ids(at) -> str:
    return " ".join(c.proto.id for c in at.get("plotly_chart"))


# ----------------------------------------------------------------------------- a CNN
def test_a_cnn_shows_feature_maps_filters_and_its_dense_layers():
    cnn = cnn_model()
    at = probe_page(cnn)
    at.radio(key="probe_source").set_value(PICK).run(timeout=60)
    assert not at.exception
    assert "cnn: 784 -> conv 4@3x3 -> conv 6@3x3 -> 16 -> 10" in at.caption[0].value
    assert "probe_saliency_chart" in chart_ids(at)  # saliency is the same for every architecture
    open_tab(at, "Why: feature maps")
    maps = chart(at, "probe_feature_maps")
    assert sum(t["type"] == "heatmap" for t in maps["data"]) == 4
    assert any("conv layer 1: 1 -> 4 channels, 3x3 kernels, maps of 26x26" in m.value for m in at.markdown)
    assert at.radio(key="probe_fm_layer").options == ["layer 1", "layer 2"]
    at.radio(key="probe_fm_layer").set_value(2).run(timeout=60)  # the layer counted from 1, as its label says
    assert at.query_params["probe_fm_layer"] == "2"
    assert sum(t["type"] == "heatmap" for t in chart(at, "probe_feature_maps")["data"]) == 6
    open_tab(at, "Why: weights")
    assert sum(t["type"] == "heatmap" for t in chart(at, "probe_filters")["data"]) == 4
    assert any("4 small filters of 3x3 weights" in m.value for m in at.markdown)
    open_tab(at, "Why: hidden units")
    assert "probe_activations" in chart_ids(at) and "probe_unit_weights" not in chart_ids(at)
    assert any("weigh the conv layers' maps" in c.value for c in at.caption)
    for tab in ("Validation analysis", "Compare models", "My digits"):
        open_tab(at, tab)
        assert not at.exception, tab
    assert any("register_forward_hook" in c.value for c in at.code)


def test_a_cnn_without_dense_hidden_layers_explains_instead_of_raising():
    at = probe_page(cnn_model(hidden=None))
    at.radio(key="probe_source").set_value(PICK).run(timeout=60)
    open_tab(at, "Why: hidden units")
    assert not at.exception and "no fully connected hidden layer" in at.info[0].value


def test_an_mlp_explains_why_it_has_no_feature_maps(tiny):
    at = probe_page(tiny)
    at.radio(key="probe_source").set_value(PICK).run(timeout=60)
    open_tab(at, "Why: feature maps")
    assert not at.exception and "This model is an MLP" in at.info[0].value
    open_tab(at, "Why: weights")
    assert len(at.get("image")) >= 2  # the weight mosaic, as before


# ----------------------------------------------------------------------------- my digits
def test_draw_label_and_keep_a_digit_then_delete_it(tiny):
    at = probe_page(tiny)
    at.session_state["probe_canvas_0"] = drawn_seven()
    at.run(timeout=60)
    assert not at.exception and metric(at, "Prediction") in list("0123456789")
    assert "0 kept in this workspace so far (at most 2,000 digits)" in " ".join(c.value for c in at.caption)
    at.button(key="probe_mine_add").click().run(timeout=60)  # no label chosen yet
    assert "Choose its label first" in at.warning[0].value and len(my_digits_of(at)) == 0

    at.session_state["probe_mine_label"] = 7
    at.button(key="probe_mine_add").click().run(timeout=60)
    assert not at.exception
    kept = my_digits_of(at)  # on disk, in the article's layout: a new object reads it back
    assert [e.label for e in kept.entries()] == [7]
    assert (kept.root / "Train" / "train.csv").read_text().startswith("filename,label\n7_")
    assert "No digit yet" in at.info[0].value  # a fresh canvas for the next digit
    assert at.success[0].value.startswith("Kept as a 7: 1 in my digits (at most 2,000 digits).")
    assert at.session_state["probe_mine_label"] is None

    open_tab(at, "My digits")
    assert metric(at, "My digits") == "1"
    assert captions(at)[-1] in {"7"} | {f"7 (model: {d})" for d in range(10)}
    name = kept.entries()[0].filename
    at.button(key=f"probe_mine_del_{name[:-4]}").click().run(timeout=60)
    assert not at.exception and len(my_digits_of(at)) == 0
    assert any("No digits of yours yet" in i.value for i in at.info)


def test_fine_tune_on_my_digits_makes_a_new_model(tiny):
    at = probe_page(tiny)
    data = load_bundled()
    my_digits_of(at).add_many(shifted(data.images[:30]), data.labels[:30])
    open_tab(at, "My digits")
    assert metric(at, "My digits") == "30"
    at.slider(key="probe_ft_epochs").set_value(3)
    at.button(key="probe_ft_start").click().run(timeout=120)
    assert not at.exception and not at.error
    assert at.selectbox(key="probe_model_name").value == "tiny + my digits"
    shelf = at.session_state["model_shelf"]
    assert shelf.names() == ["tiny", "tiny + my digits"] and "tiny" in shelf  # the original is kept
    last = at.session_state["probe_ft_last"]
    assert last["mine_after"] > last["mine_before"] and last["epochs"] == 3
    assert metric(at, "On my digits") == f"{last['mine_after']:.0%}"
    assert metric(at, "On the validation digits") == f"{last['val_after']:.1%}"
    assert "probe_ft_chart" in chart_ids(at)
    assert any("for epoch in range(3):" in c.value and "copy.deepcopy(model)" in c.value for c in at.code)
    at.radio(key="probe_ft_mode").set_value("mine")
    at.button(key="probe_ft_start").click().run(timeout=120)
    assert not at.exception and at.selectbox(key="probe_model_name").value == "tiny + my digits + my digits"


def test_import_a_zip_and_refuse_a_hostile_one(tiny, tmp_path):
    other = mine.MyDigits(tmp_path / "other")
    data = load_bundled()
    other.add_many(data.images[:6], data.labels[:6])
    at = open_tab(probe_page(tiny), "My digits")
    assert any("No digits of yours yet" in i.value for i in at.info)
    assert at.get("download_button")[0].proto.disabled  # nothing to export yet
    at.file_uploader(key="probe_mine_import_0").set_value(("mine.zip", mine.export_zip(other), "application/zip"))
    at.run(timeout=60)
    assert not at.exception and at.success[0].value == "Added 6 digits."
    assert metric(at, "My digits") == "6" and not at.get("download_button")[0].proto.disabled

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("Train/train.csv", "filename,label\n../../evil.png,3\nnote.txt,1\n")
        z.writestr("../../evil.png", b"\x89PNG\r\n\x1a\n")
    at.file_uploader(key="probe_mine_import_1").set_value(("evil.zip", buffer.getvalue(), "application/zip"))
    at.run(timeout=60)
    assert not at.exception and at.warning[0].value == "Added 0 digits; 2 skipped (listed below)."
    assert "points outside" in " ".join(m.value for m in at.markdown)
    at.file_uploader(key="probe_mine_import_2").set_value(("x.zip", b"not a zip", "application/zip"))
    at.run(timeout=60)
    assert not at.exception and "x.zip is not a zip file" in at.error[0].value
    assert len(my_digits_of(at)) == 6


# ----------------------------------------------------------------------------- in a browser
@pytest.mark.browser
def test_draw_a_digit_keep_it_and_see_it_in_the_gallery(page, app_url):
    from test_digits_probe_page import draw_seven

    open_page(page, app_url)
    open_page(page, app_url, "digits-probe", timeout=120)
    page.get_by_role("button", name="Train a model now on the bundled digits").click()
    page.get_by_text("What the model thinks").wait_for(timeout=180_000)
    wait_idle(page, 120)
    draw_seven(page)
    box = page.locator(".st-key-probe_mine_box")
    box.wait_for(timeout=60_000)
    wait_idle(page, 60)
    box.get_by_role("radio", name="7", exact=True).click()  # st.pills: one radio button a label
    wait_idle(page, 60)
    screenshot(page, "digits-probe-keep-a-digit")
    box.get_by_role("button", name="Add to my digits").click()
    page.get_by_text("Kept as a 7").wait_for(timeout=60_000)
    wait_idle(page, 60)
    expect_no_exception(page)
    assert page.get_by_text("No digit yet").is_visible()  # a fresh canvas
    page.get_by_role("tab", name="My digits").click()
    wait_idle(page, 60)
    gallery_image = page.locator('[data-testid="stImage"]').filter(has=page.locator("img"))
    assert gallery_image.count() >= 1
    delete = page.locator('[class*="st-key-probe_mine_del_7_"]')
    delete.first.wait_for(timeout=60_000)
    assert delete.count() == 1
    page.get_by_text("Fine-tune the model on my digits").scroll_into_view_if_needed()
    expect_no_exception(page)
    page.set_viewport_size({"width": 1400, "height": 1900})
    screenshot(page, "digits-probe-my-digits")


@pytest.mark.browser
def test_a_lenet_in_the_browser_shows_its_feature_maps_and_filters(page, app_url, tmp_path):
    """A LeNet checkpoint loaded on the page (skipped where digits.models has no CNNs yet)."""
    import torch
    import torch.nn.functional as F

    from pytorch_explorer.digits import models

    if not hasattr(models, "build_model"):
        pytest.skip("digits.models builds no CNN here yet")
    config = models.ModelConfig(arch="lenet")
    with torch.random.fork_rng():
        torch.manual_seed(0)
        model = models.build_model(config)
    data = load_bundled()
    x = torch.from_numpy(data.images[:3000]).float().reshape(-1, 784) / 255
    y = torch.from_numpy(data.labels[:3000])
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    for start in range(0, 3000, 100):  # one quick epoch: enough for filters that look like strokes
        optimizer.zero_grad()
        F.cross_entropy(model(x[start:start + 100]), y[start:start + 100]).backward()
        optimizer.step()
    path = tmp_path / "lenet.pt"
    models.save_checkpoint(models.TrainedModel(model.eval(), config, {"val_fraction": 0.3}, {}, "bundled", "lenet"),
                           path)
    open_page(page, app_url)
    open_page(page, app_url, "digits-probe", timeout=120)
    page.locator(".st-key-probe_checkpoint input[type=file]").set_input_files(str(path))
    page.get_by_text("What the model thinks").wait_for(timeout=120_000)
    wait_idle(page, 60)
    page.get_by_text("Pick from the validation set").click()
    wait_idle(page, 60)
    page.get_by_role("tab", name="Why: feature maps").click()
    wait_idle(page, 60)
    maps = page.locator(".st-key-probe_feature_maps")
    maps.wait_for(timeout=60_000)
    expect_no_exception(page)
    assert page.get_by_text("6 channels, 5x5 kernels, maps of 28x28").is_visible()  # Markdown draws -> as an arrow
    assert maps.locator("g.hm, image").count() >= 1  # the heatmaps are drawn
    page.set_viewport_size({"width": 1400, "height": 1700})
    screenshot(page, "digits-probe-cnn-feature-maps")
    page.set_viewport_size({"width": 1400, "height": 1000})
    page.get_by_role("tab", name="Why: weights").click()
    page.locator(".st-key-probe_filters").wait_for(timeout=60_000)
    wait_idle(page, 60)
    expect_no_exception(page)
    screenshot(page, "digits-probe-cnn-filters")
