"""The course as a student sees it: every lecture notebook run in JupyterLab in headless Chromium.

For each notebook: no error output, every widget rendered (none stuck loading, no "Error displaying
widget"), and a screenshot saved under tests/browser/screenshots/ for a person to look at, with the
in-browser run time in tests/browser/screenshots/timings.json. On lecture 1 a slider is moved and the
picture that depends on it changes. In an untouched exercise a check cell shows the student its short,
friendly message.
"""
import json
import time
from pathlib import Path

import nbformat
import pytest

from conftest import ROOT

LECTURES = sorted((ROOT / "notebooks").glob("*.ipynb"))
WIDGET_MIME = "application/vnd.jupyter.widget-view+json"
WIDGET_OUTPUT = ".jp-OutputArea-output:has(> .jupyter-widgets)"  # a widget view that rendered
BROKEN_WIDGET_TEXTS = ("Error displaying widget", "Loading widget", "model not found", "Failed to load model")
RUN_LIMIT_S = 300  # a notebook still running after this is reported, not waited for
pytestmark = pytest.mark.slow


def _open(page, lab, relative):
    base, token = lab
    page.goto(f"{base}/lab/tree/{relative}?reset&token={token}")
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext", timeout=60_000)
    page.wait_for_function("() => { const k = window.jupyterapp.shell.currentWidget.sessionContext.session;"
                           " return k && k.kernel && k.kernel.status === 'idle'; }", timeout=60_000)


def _run_all(page):
    """Run every cell as "Run All" does and wait until the kernel is idle with no cell queued or running.
    Returns the wall time in seconds."""
    start = time.perf_counter()
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(
        "() => { const w = window.jupyterapp.shell.currentWidget;"
        " const k = w.sessionContext.session.kernel;"
        " const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];"
        " return k.status === 'idle' && prompts.length > 0"
        "   && prompts.every(p => !p.textContent.includes('*')); }",
        timeout=RUN_LIMIT_S * 1000, polling=500)
    return time.perf_counter() - start


def _expected_widget_outputs(path):
    nb = nbformat.read(path, as_version=4)
    return sum(WIDGET_MIME in output.get("data", {}) for cell in nb.cells if cell.cell_type == "code"
               for output in cell.outputs)


def _record_time(screenshots, name, seconds):
    timings = screenshots / "timings.json"
    data = json.loads(timings.read_text()) if timings.exists() else {}
    data[name] = round(seconds, 1)
    timings.write_text(json.dumps(data, indent=1, sort_keys=True))


@pytest.mark.parametrize("notebook", LECTURES, ids=lambda p: p.stem)
def test_lecture_runs_in_the_browser_without_errors_and_renders_every_widget(page, lab, screenshots, notebook):
    _open(page, lab, f"notebooks/{notebook.name}")
    seconds = _run_all(page)
    _record_time(screenshots, f"notebooks/{notebook.name}", seconds)
    errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    assert errors.count() == 0, f"{notebook.name}: error or stderr output in the browser: {errors.first.inner_text()[:500]}"
    text = page.locator(".jp-Notebook").inner_text()
    broken = [bad for bad in BROKEN_WIDGET_TEXTS if bad in text]
    assert not broken, f"{notebook.name}: a widget did not render: {broken}"
    widgets = page.locator(WIDGET_OUTPUT)
    expected = _expected_widget_outputs(notebook)
    assert widgets.count() == expected, f"{notebook.name}: {widgets.count()} widgets rendered, expected {expected}"
    for i in range(expected):
        widget = widgets.nth(i)
        images = widget.locator("img")
        for j in range(images.count()):
            images.nth(j).scroll_into_view_if_needed()
            page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=images.nth(j).element_handle())
    if expected:
        widgets.first.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / f"{notebook.stem}.png"))


def test_moving_a_slider_on_lecture_1_redraws_its_picture(page, lab, screenshots):
    _open(page, lab, "notebooks/01_perceptron.ipynb")
    _run_all(page)
    explorer = page.locator(WIDGET_OUTPUT, has_text="Artificial neuron").first
    explorer.scroll_into_view_if_needed()
    slider = explorer.locator(".widget-slider", has_text="bias b")
    readout = slider.locator(".widget-readout")
    picture = explorer.locator("img").first
    before_value, before_src = readout.inner_text(), picture.get_attribute("src")
    before_png = picture.screenshot(path=str(screenshots / "01_slider_before.png"))
    slider.locator(".noUi-handle").focus()
    for _ in range(10):  # ten steps of 0.1 to the right: b from -1.5 to -0.5, AND becomes OR
        page.keyboard.press("ArrowRight")
    page.wait_for_function("([img, src]) => img.src !== src && img.complete && img.naturalWidth > 0",
                           arg=[picture.element_handle(), before_src], timeout=30_000)
    after_value = readout.inner_text()
    after_png = picture.screenshot(path=str(screenshots / "01_slider_after.png"))
    assert (before_value, after_value) == ("−1.5", "−0.5")  # the readout writes a true minus sign
    assert after_png != before_png, "the explorer's picture must change when the bias moves"


def test_an_untouched_exercise_shows_the_friendly_check_message(page, lab, screenshots):
    _open(page, lab, "exercises/01_perceptron.ipynb")
    _run_all(page)
    first_check = page.locator(".jp-CodeCell", has_text="check.activations(step, sigmoid, relu, softplus)").first
    message = first_check.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
    message.wait_for(state="visible", timeout=30_000)
    text = message.inner_text()
    first_check.scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "exercise_01_check_message.png"))
    assert "NotImplementedError" in text and "step is not written yet" in text and "Hint:" in text
    assert "course_lib/checks" not in text, "the student must not see the checking machinery's code"
    assert len(text.strip().splitlines()) <= 12, f"a short message, not a wall of traceback:\n{text}"
