"""Shared fixtures: a private data folder for every test run, and the browser-test harness.

Browser tests (marker `browser`) use pytest-playwright's `page` fixture against one Streamlit
server started for the whole session (`app_url`). They need Chromium: Playwright's own browser
when installed, else Debian's /usr/bin/chromium. Without one they skip, unless
PTE_REQUIRE_BROWSER=1 (CI), where they fail.

Helpers for page tests: `open_page(page, app_url, "digits-trainer")` loads a page and waits until
its script has finished; `wait_idle(page)` waits for a rerun; `expect_no_exception(page)`;
`screenshot(page, "name")` saves test-artifacts/screenshots/name.png to look at.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
REQUIRE_BROWSER = os.environ.get("PTE_REQUIRE_BROWSER") == "1"
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SYSTEM_CHROMIUMS = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]


def pytest_configure(config: pytest.Config) -> None:
    # Tests never write into the repo's data/: each run gets its own data folder (shared by the
    # server the browser tests start), unless the caller chose one (CI does).
    if not os.environ.get("PTE_DATA_DIR"):
        os.environ["PTE_DATA_DIR"] = tempfile.mkdtemp(prefix="pte-data-")


@pytest.fixture
def store(tmp_path):
    """An empty run store in the test's own folder (tmp_path/runs), closed afterwards."""
    from pytorch_explorer.runs import RunStore

    s = RunStore(tmp_path / "runs")
    yield s
    s.close()


@pytest.fixture(scope="module")
def one_torch_thread():
    """For tests that check results, not speed. One torch thread keeps them quick when other processes share
    the 2 cores (two OpenMP threads waiting on a descheduled sibling run many times slower); restored after."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# ---------------------------------------------------------------- browser harness
@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, playwright):
    """Headless Chromium with the flags that keep it off the network."""
    args = {**browser_type_launch_args, "headless": True, "args": CHROMIUM_ARGS}
    try:
        own = playwright.chromium.executable_path
    except Exception:  # noqa: BLE001 - no bundled browser registered
        own = ""
    if own and os.path.exists(own):
        return args
    for candidate in SYSTEM_CHROMIUMS + [shutil.which("chromium") or ""]:
        if candidate and os.path.exists(candidate):
            return {**args, "executable_path": candidate}
    message = "no Chromium found: apt-get install chromium (or `playwright install chromium`)"
    if REQUIRE_BROWSER:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}



def run_shown_code(code: str, tmp_path: Path) -> dict:
    """Run the code a page shows as the learner would (a script file), its printed output kept under
    "__printed__" in the namespace it leaves."""
    import contextlib
    import io
    import runpy

    path = tmp_path / "shown.py"
    path.write_text(code)
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        namespace = runpy.run_path(str(path))
    namespace["__printed__"] = printed.getvalue()
    return namespace


@contextmanager
def streamlit_server(log: Path) -> Iterator[tuple[str, subprocess.Popen]]:
    """`streamlit run app.py` on a free port, on this test session's data folder ($PTE_DATA_DIR), its output
    to `log` (a file, not a pipe: a full pipe can block the server); stopped (SIGTERM, as Ctrl+C) on exit."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = open(log, "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
                            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=os.environ.copy())
    url, deadline = f"http://127.0.0.1:{port}", time.time() + 60
    try:
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            assert time.time() < deadline, log.read_text()
            time.sleep(0.3)
        yield url, proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        out.close()


@pytest.fixture(scope="session")
def app_url(tmp_path_factory, browser) -> Iterator[str]:
    """The app, started once for the session (see streamlit_server)."""
    with streamlit_server(tmp_path_factory.mktemp("server") / "streamlit.log") as (url, _):
        # Streamlit (issue 9992) shows "Page not found" when the very first visit to a fresh server is a
        # deep link to a page of st.navigation; a user's first visit is usually the home page, so load it
        # once here and the pages' tests see the app as a user does.
        warm_up(browser, url)
        yield url


def warm_up(browser, url: str) -> None:
    """Run the app's main script once in a real browser session (see app_url)."""
    page = browser.new_page()
    try:
        page.goto(url)
        page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60000)
    finally:
        page.close()


def wait_idle(page, timeout: float = 60.0) -> None:
    """Wait until the app's script has finished its current run.

    Streamlit marks the app root with data-test-script-state ("initial", "running", "notRunning",
    ...); a rerun starts a moment after a click, hence the short pause first.
    """
    time.sleep(0.4)
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout * 1000
    )
    deadline = time.time() + timeout
    while page.locator('[data-testid="stStatusWidget"]').count():
        if time.time() > deadline:
            raise AssertionError(f"the app was still running after {timeout} s")
        time.sleep(0.2)


def open_page(page, app_url: str, url_path: str = "", timeout: float = 60.0):
    """Load a page of the app (by its url_path, '' for home) and wait for its script to finish."""
    page.goto(f"{app_url}/{url_path}")
    wait_idle(page, timeout)
    not_found = page.get_by_role("dialog").filter(has_text="Page not found")
    assert not not_found.count(), f"Streamlit says page {url_path!r} does not exist (see app_url's warm-up)"
    return page


def expect_no_exception(page) -> None:
    exceptions = page.locator('[data-testid="stException"]')
    assert exceptions.count() == 0, exceptions.first.inner_text()
    assert "Traceback" not in page.inner_text("body")


def screenshot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


# ---------------------------------------------------------------- settings in the URL (AppTest)
URL_NOTE = "Some settings in this page's address were not used"  # ui.settings.report_ignored's note


def open_in_app(page_path: str, query: dict | None = None, timeout: float = 30):
    """A page as the app serves it (st.navigation, the workspace in the URL), opened at an address."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.query_params.update(query or {})
    at.switch_page(page_path).run()
    assert not at.exception, at.exception
    return at


def away_and_back(at, page_path: str, other_path: str, other_title: str):
    """Another page, then this one, through the sidebar: the browser's address then holds only the other page's
    settings (AppTest does not play the browser's part of writing a changed control into the address)."""
    for key in [k for k in at.query_params if k != "ws"]:
        del at.query_params[key]
    at.switch_page(other_path).run()
    assert not at.exception and at.title[0].value == other_title
    at.switch_page(page_path).run()
    assert not at.exception, at.exception
    return at


def url_notes(at) -> list[str]:
    """The page's notes about query values it could not use."""
    return [w.value for w in at.warning if URL_NOTE in w.value]
