"""The Digits: probe page: no model yet, upload, pick, validation analysis, compare; and drawing in a browser."""

from __future__ import annotations

import base64
import io
import json

import numpy as np
import pytest
from conftest import ROOT, expect_no_exception, open_page, screenshot, wait_idle
from PIL import Image, ImageDraw
from streamlit.testing.v1 import AppTest

from pytorch_explorer.digits.data import load_bundled
from pytorch_explorer.digits.models import save_checkpoint
from pytorch_explorer.digits.preprocess import preprocess_digit
from pytorch_explorer.digits.probe import predict, validation_report
from pytorch_explorer.digits.shelf import StoreShelf
from pytorch_explorer.digits.training import TrainConfig, train_to_completion
from pytorch_explorer.runs import new_workspace_id
from ui.workspace import run_store

PICK = "Pick from the validation set"


@pytest.fixture(scope="module")
def tiny():
    """A real model, small enough to train in under a second."""
    trained = train_to_completion(TrainConfig(epochs=1, hidden=32, device="cpu"))
    trained.name = "tiny"
    return trained


@pytest.fixture(scope="module")
def report(tiny):
    return validation_report(tiny)


def in_new_workspace() -> AppTest:
    """The app in a workspace of its own (its id in the URL, as a browser has it)."""
    at = AppTest.from_file(str(ROOT / "app.py"))
    at.query_params["ws"] = new_workspace_id()
    return at.run(timeout=60)


def shelf_for(at: AppTest) -> StoreShelf:
    """A shelf on the server's run store for the app's workspace (what ui.model_shelf() gives the page)."""
    return StoreShelf(run_store(), at.session_state["workspace"])


def probe_page(*models) -> AppTest:
    """The probe page inside the app (so its page links resolve), with these models on the workspace's
    model shelf (ui.model_shelf(), in the run store), the first one current."""
    at = in_new_workspace()
    at.switch_page("pages/digits_probe.py")
    if models:
        shelf = shelf_for(at)
        for m in models:
            shelf.add(m, "a test")
        shelf.choose(models[0].name)
        at.session_state["model_shelf"] = shelf
    return at.run(timeout=60)


def shelf_of(at: AppTest) -> StoreShelf:
    return at.session_state["model_shelf"]


def open_tab(at: AppTest, label: str) -> AppTest:
    """Switch tabs (they rerun on change and only the open one runs, so the tab is picked by its key)."""
    at.session_state["probe_tab"] = label
    return at.run(timeout=60)


def chart(at: AppTest, key: str) -> dict:
    (found,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith(key)]
    return json.loads(found.proto.spec)


def values(trace: dict, axis: str = "y") -> np.ndarray:
    data = trace[axis]
    if isinstance(data, dict):  # plotly's typed-array encoding
        return np.frombuffer(base64.b64decode(data["bdata"]), dtype=data["dtype"])
    return np.asarray(data)


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def captions(at: AppTest) -> list[str]:
    return [img.caption for image in at.get("image") for img in image.proto.imgs]


def png_of(image: Image.Image, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt)
    return buffer.getvalue()


# ----------------------------------------------------------------------------- no model yet
def test_without_a_model_it_explains_and_offers_three_ways(tiny, tmp_path):
    at = probe_page()
    assert not at.exception
    assert at.title[0].value == "Digits: probe"
    assert "no digit model" in at.info[0].value
    assert at.button(key="probe_train_now").label == "Train a model now on the bundled digits"
    assert at.get("page_link")[0].proto.page == "digits-trainer"
    assert not at.tabs  # nothing to probe yet
    at.file_uploader(key="probe_checkpoint").set_value(("weights.pt", b"this is not a model", "application/octet-stream"))
    at.run(timeout=60)
    assert not at.exception
    assert "weights.pt is not a PyTorch Explorer model file" in at.error[0].value
    assert len(shelf_of(at)) == 0

    at.file_uploader(key="probe_checkpoint").set_value(("tiny.pt", save_checkpoint(tiny), "application/octet-stream"))
    at.run(timeout=60)
    assert not at.exception and not at.error
    assert at.selectbox(key="probe_model_name").value == "loaded: tiny.pt"
    assert shelf_of(at).current.name == "loaded: tiny.pt"
    assert shelf_of(at).rows()[-1]["how"] == "loaded from tiny.pt"
    assert len(at.tabs) == 7


def test_models_come_from_the_shelf_only(tiny):
    """Other pages' session keys are theirs: a model left under an old trainer key is not a model here."""
    at = in_new_workspace()
    at.switch_page("pages/digits_probe.py")
    at.session_state["digits_models"] = {"tiny": tiny}
    at.session_state["digits_model"] = tiny
    at.run(timeout=60)
    assert not at.exception and "no digit model" in at.info[0].value and not at.tabs
    shelf_for(at).add(tiny, "trained on the trainer page")  # a run of this workspace, in the store
    at.run(timeout=60)
    assert at.selectbox(key="probe_model_name").value == "tiny" and len(at.tabs) == 7


def test_one_click_trains_a_model_in_seconds():
    at = probe_page()
    at.button(key="probe_train_now").click().run(timeout=180)
    assert not at.exception and not at.error
    shelf = shelf_of(at)
    assert shelf.names() == ["quick (fixed)"]
    trained = shelf.current
    assert trained is shelf.get("quick (fixed)") and trained.metrics["val_acc"] > 0.8
    row = shelf.rows()[-1]
    assert row["name"] == "quick (fixed)" and row["how"] == "one click on the probe page" and row["mode"] == "fixed"
    assert at.selectbox(key="probe_model_name").value == "quick (fixed)"
    assert "validation accuracy" in at.caption[0].value


# ----------------------------------------------------------------------------- upload
def test_upload_a_photo_of_a_digit(tiny):
    at = probe_page(tiny)
    at.radio(key="probe_source").set_value("Upload").run(timeout=60)
    digit = load_bundled().images[4321]
    photo = Image.fromarray(255 - digit).resize((300, 300), Image.Resampling.BILINEAR).convert("RGB")
    data = png_of(photo, "JPEG")
    at.file_uploader(key="probe_upload").set_value(("my digit.jpg", data, "image/jpeg")).run(timeout=60)
    assert not at.exception and not at.error
    expected = predict(tiny, preprocess_digit(data).final)
    assert metric(at, "Prediction") == str(int(expected.argmax()))
    assert metric(at, "Confidence") == f"{expected.max():.1%}"
    bars = chart(at, "probe_probabilities")["data"][0]
    np.testing.assert_allclose(values(bars), expected, atol=1e-6)
    stages = [c for c in captions(at) if c[:2] in {"1.", "2.", "3.", "4.", "5."}]
    assert stages == ["1. greyscale", "2. white ink on black", "3. cropped to the ink", "4. scaled to 20 px",
                      "5. centred by mass (28x28)"]
    assert any("was inverted" in m.value for m in at.markdown)  # dark ink on light paper
    assert "saliency_chart" in " ".join(c.proto.id for c in at.get("plotly_chart"))


def dot_picture() -> Image.Image:
    """One dot of a pen on white paper: ink, but not a digit."""
    image = Image.new("L", (300, 300), 255)
    ImageDraw.Draw(image).ellipse((140, 140, 162, 162), fill=0)
    return image


def test_a_48_megapixel_photo_is_shrunk_not_refused(tiny):
    at = probe_page(tiny)
    at.radio(key="probe_source").set_value("Upload").run(timeout=60)
    assert "a photo is fine, up to 120 megapixels" in at.file_uploader(key="probe_upload").proto.label
    photo = Image.new("L", (8000, 6000), 250)
    ImageDraw.Draw(photo).line([(3000, 1500), (5000, 1500), (3600, 4500)], fill=20, width=300)  # a 7
    at.file_uploader(key="probe_upload").set_value(("phone.jpg", png_of(photo, "JPEG"), "image/jpeg")).run(timeout=60)
    assert not at.exception and not at.error
    # the file's name is escaped for Markdown (it renders as phone.jpg, and a hostile name renders as typed)
    assert any(r"phone\.jpg (8000x6000, shrunk to 2048x1536)" in c for c in captions(at))
    assert metric(at, "Prediction") in list("0123456789")


@pytest.mark.parametrize("name, data, message", [
    ("notes.png", b"definitely not a picture", "notes.png is not an image"),
    ("blank.png", png_of(Image.new("L", (200, 200), 255)), "no digit in blank.png"),
    ("cut.png", png_of(Image.new("RGB", (300, 300), (9, 9, 9)))[:200], "cut.png is damaged or truncated"),
    ("dot.png", png_of(dot_picture()), "does not look like a digit"),
])
def test_a_bad_upload_says_why_and_predicts_nothing(tiny, name, data, message):
    at = probe_page(tiny)
    at.radio(key="probe_source").set_value("Upload").run(timeout=60)
    at.file_uploader(key="probe_upload").set_value((name, data, "image/png")).run(timeout=60)
    assert not at.exception
    assert message in at.error[0].value
    assert "Prediction" not in [m.label for m in at.metric]
    assert "No digit yet" in at.info[0].value


# ----------------------------------------------------------------------------- pick
def test_pick_a_validation_digit_then_the_next_mistake(tiny, report):
    at = probe_page(tiny)
    at.radio(key="probe_source").set_value(PICK).run(timeout=60)
    assert not at.exception
    assert metric(at, "Prediction") == str(int(report.predicted[0]))
    verdict = (at.success or at.error)[0].value
    assert f"the label is {report.labels[0]}" in verdict
    at.button(key="probe_pick_mistake").click().run(timeout=60)
    wrong = report.next_mistake(0)
    assert f"validation digit #{wrong} " in " ".join(captions(at))
    assert at.error[0].value.startswith(f"Wrong: the label is {report.labels[wrong]}")
    assert metric(at, "Prediction") == str(int(report.predicted[wrong]))
    at.selectbox(key="probe_pick_class").set_value(6)
    at.button(key="probe_pick_class_button").click().run(timeout=60)
    assert "labelled 6" in " ".join(captions(at))
    at.button(key="probe_pick_random").click().run(timeout=60)
    assert not at.exception and metric(at, "Prediction") in list("0123456789")


def test_why_tabs_follow_the_chosen_class_and_unit_count(tiny):
    at = probe_page(tiny)
    at.radio(key="probe_source").set_value(PICK).run(timeout=60)
    at.selectbox(key="probe_saliency_class").set_value(3).run(timeout=60)
    assert any("logit) for **3**" in m.value for m in at.markdown)
    open_tab(at, "Why: hidden units")
    at.slider(key="probe_top_k").set_value(6).run(timeout=60)
    assert any("the 6 strongest are highlighted" in m.value for m in at.markdown)
    units = chart(at, "probe_unit_weights")
    assert len(units["layout"]["annotations"]) == 6  # one title per unit tile
    assert "probe_saliency_chart" not in " ".join(c.proto.id for c in at.get("plotly_chart"))  # a closed tab
    open_tab(at, "Why: weights")
    assert len(at.get("image")) >= 2  # the digit, and the mosaic of all first-layer weights
    at.radio(key="probe_weights_order").set_value("strongest for this digit").run(timeout=60)
    assert not at.exception


# ----------------------------------------------------------------------------- validation analysis
def test_confusion_cell_and_mistake_gallery(tiny, report):
    at = open_tab(probe_page(tiny), "Validation analysis")
    assert metric(at, "Validation accuracy") == f"{report.accuracy:.1%}"
    assert metric(at, "Mistakes") == f"{len(report.mistakes()):,}"
    matrix = chart(at, "probe_cm_chart")
    cells = values(matrix["data"][1], "customdata").reshape(100, 3)  # one clickable point per cell
    assert list(cells[5 * 10 + 3]) == [5, 3, report.confusion[5, 3]]
    at.selectbox(key="probe_cm_true").set_value(4)
    at.selectbox(key="probe_cm_pred").set_value(9).run(timeout=60)
    count = len(report.cell(4, 9))
    assert any(m.value.startswith(f"**{count} digit") and "labelled 4 that the model called 9" in m.value
               for m in at.markdown)
    first_mistake = int(report.mistakes()[0])
    at.button(key=f"probe_open_mistake_{first_mistake}").click().run(timeout=60)
    assert at.radio(key="probe_source").value == PICK
    assert f"validation digit #{first_mistake} " in " ".join(captions(at))
    assert at.error[0].value.startswith(f"Wrong: the label is {report.labels[first_mistake]}")


# ----------------------------------------------------------------------------- compare
def test_compare_two_models_on_the_same_digit(tiny):
    other = train_to_completion(TrainConfig(epochs=1, hidden=16, seed=1, device="cpu"))
    other.name = "other"
    at = open_tab(probe_page(tiny, other), "Compare models")
    at.radio(key="probe_source").set_value(PICK).run(timeout=60)
    assert at.multiselect(key="probe_compare_models").value == ["tiny", "other"]
    bars = chart(at, "probe_compare_chart")["data"]
    assert [t["name"] for t in bars] == ["tiny", "other"]
    digit = validation_report(tiny).images[0]
    np.testing.assert_allclose(values(bars[1]), predict(other, digit), atol=1e-6)
    labels = [m.label for m in at.metric]
    assert "tiny" in labels and "other" in labels


def test_with_one_model_compare_offers_the_article_version(tiny):
    at = open_tab(probe_page(tiny), "Compare models")
    assert at.button(key="probe_train_faithful").label == "Train the article-faithful version now"
    code = at.code[0].value  # the code expander ends the page: the probe's PyTorch, this model's layers
    assert "torch.autograd.grad(logits[0, target], x)" in code and "torch.nn.Linear(28 * 28, 32)" in code


# ----------------------------------------------------------------------------- in a browser
def draw_seven(page) -> None:
    canvas = page.locator("canvas.upper-canvas").last
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"], box["y"]
    page.mouse.move(x + 70, y + 60)
    page.mouse.down()
    page.mouse.move(x + 205, y + 60, steps=12)
    page.mouse.move(x + 125, y + 240, steps=18)
    page.mouse.up()


@pytest.mark.browser
def test_draw_a_seven_and_see_the_prediction(page, app_url):
    open_page(page, app_url)  # the home page first: a cold server can miss a deep link's first run
    open_page(page, app_url, "digits-probe", timeout=120)
    page.get_by_role("button", name="Train a model now on the bundled digits").click()
    page.get_by_text("What the model thinks").wait_for(timeout=180_000)
    wait_idle(page, 120)
    assert page.get_by_text("No digit yet").is_visible()
    draw_seven(page)
    prediction = page.locator('[data-testid="stMetric"]').filter(has_text="Prediction")
    prediction.wait_for(timeout=60_000)
    wait_idle(page, 60)
    expect_no_exception(page)
    assert prediction.locator('[data-testid="stMetricValue"]').inner_text() == "7"
    confidence = page.locator('[data-testid="stMetric"]').filter(has_text="Confidence")
    assert confidence.locator('[data-testid="stMetricValue"]').inner_text().endswith("%")
    bars = page.locator(".st-key-probe_probabilities g.trace.bars path")
    assert bars.count() == 10
    assert page.get_by_text("5. centred by mass (28x28)").is_visible()
    page.set_viewport_size({"width": 1400, "height": 1900})  # the whole input column and the first tab
    screenshot(page, "digits-probe-drawn")
    page.set_viewport_size({"width": 1400, "height": 1000})

    page.get_by_role("button", name="Clear").click()  # a fresh canvas: no digit, no prediction
    page.get_by_text("No digit yet").wait_for(timeout=60_000)
    wait_idle(page, 60)

    # A dot is not a digit: no disc blown up to 20 px and called "8".
    canvas = page.locator("canvas.upper-canvas").last
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 140, box["y"] + 140)
    page.mouse.down()
    page.mouse.move(box["x"] + 143, box["y"] + 142, steps=3)
    page.mouse.up()
    page.get_by_text("does not look like a digit").wait_for(timeout=60_000)
    wait_idle(page, 60)
    expect_no_exception(page)
    assert prediction.count() == 0 and page.get_by_text("No digit yet").is_visible()
    screenshot(page, "digits-probe-dot")
    page.get_by_role("button", name="Clear").click()
    wait_idle(page, 60)

    # A click on a confusion-matrix cell shows that cell's digits.
    page.get_by_role("tab", name="Validation analysis").click()
    wait_idle(page, 60)
    cell = page.locator(".st-key-probe_cm_chart g.scatterlayer path.point").nth(5 * 10 + 3)
    cell.scroll_into_view_if_needed()
    cell.click(force=True)
    page.get_by_text("labelled 5 that the model called 3").wait_for(timeout=60_000)
    wait_idle(page, 60)
    expect_no_exception(page)
    screenshot(page, "digits-probe-validation")
