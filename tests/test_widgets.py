"""course_lib.widgets: the neuron explorer builds, renders a PNG, redraws when a control changes, carries a
static picture in its mimebundle, and names the gate the neuron computes (checked against Python's
operators on the four corners)."""
import base64
import io
import math
import operator

import ipywidgets
import matplotlib.image
import numpy as np
import pytest

from course_lib import widgets

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

G = {"step": lambda s: 1.0 if s > 0 else 0.0, "sigmoid": lambda s: 1 / (1 + math.exp(-s)), "tanh": math.tanh,
     "relu": lambda s: max(0.0, s), "softplus": lambda s: math.log1p(math.exp(s))}
GATES = {"AND": lambda a, b: a and b, "OR": lambda a, b: a or b, "NAND": lambda a, b: not (a and b),
         "NOR": lambda a, b: not (a or b), "XOR": operator.xor, "AND NOT": lambda a, b: a and not b}
CORNERS = [(0, 0), (0, 1), (1, 0), (1, 1)]


@pytest.fixture
def figures(monkeypatch):
    """Every Figure the explorers draw, so a test can look at the picture behind the PNG."""
    drawn = []

    class RecordingFigure(widgets.Figure):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            drawn.append(self)

    monkeypatch.setattr(widgets, "Figure", RecordingFigure)
    return drawn


@pytest.fixture
def drawings(monkeypatch, figures):
    """As `figures`, but the PNG encoding (most of a redraw's time) is skipped: for tests that only look
    at what was drawn."""
    monkeypatch.setattr(widgets.Figure, "savefig", lambda self, buffer, **kwargs: buffer.write(PNG_SIGNATURE))
    return figures


def _png(value):
    return bytes(value)


def _expected_title(w1, w2, b, activation):
    outputs = [G[activation](w1 * x1 + w2 * x2 + b) for x1, x2 in CORNERS]
    bits = [int(o > 0.5) for o in outputs]
    names = [name for name, gate in GATES.items() if bits == [int(bool(gate(bool(a), bool(c)))) for a, c in CORNERS]]
    return f"y at the corners: {names[0] if names else 'no named gate'} {bits}", outputs


@pytest.fixture(scope="module")
def default_neuron():
    """neuron() with its defaults, built once for the tests that only read it."""
    return widgets.neuron()


def test_neuron_builds_an_explorer_with_its_controls(default_neuron):
    w = default_neuron
    assert isinstance(w, widgets.Explorer) and isinstance(w, ipywidgets.VBox)
    assert set(w.controls) == {"w1", "w2", "b", "activation"}
    assert w.values == {"w1": 1.0, "w2": 1.0, "b": -1.5, "activation": "step"}
    assert w.image in w.children


def test_neuron_image_is_a_png(default_neuron):
    png = _png(default_neuron.image.value)
    assert png.startswith(PNG_SIGNATURE)
    picture = matplotlib.image.imread(io.BytesIO(png), format="png")
    assert picture.ndim == 3 and picture.shape[0] > 100 and picture.shape[1] > 100


def test_changing_a_slider_redraws_the_image():
    w = widgets.neuron()
    before = _png(w.image.value)
    w.controls["b"].value = 0.4
    after = _png(w.image.value)
    assert after.startswith(PNG_SIGNATURE)
    assert after != before
    w.controls["b"].value = -1.5  # back to the start: the same picture, byte for byte
    assert _png(w.image.value) == before


def test_mimebundle_names_the_values_and_carries_the_picture():
    w = widgets.neuron(w1=0.5, w2=-1.0, b=0.2, activation="tanh")
    bundle = w._repr_mimebundle_()
    assert bundle["text/plain"] == f"{w.title} (w1=0.5, w2=-1, b=0.2, activation=tanh)"
    assert base64.b64decode(bundle["image/png"]) == _png(w.image.value)
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_mimebundle_follows_the_controls():
    w = widgets.neuron()
    w.controls["b"].value = 0.4
    bundle = w._repr_mimebundle_()
    assert "b=0.4" in bundle["text/plain"]
    assert base64.b64decode(bundle["image/png"]) == _png(w.image.value)


@pytest.mark.parametrize("w1, w2, b, activation, gate", [
    (1.0, 1.0, -1.5, "step", "AND"),
    (1.0, 1.0, -0.5, "step", "OR"),
    (-1.0, -1.0, 1.5, "step", "NAND"),
    (-1.0, -1.0, 0.5, "step", "NOR"),
    (1.0, -1.0, -0.5, "step", "AND NOT"),
    (1.0, 1.0, -1.5, "sigmoid", "AND"),
    (2.0, 2.0, -1.0, "sigmoid", "OR"),
    (1.0, 1.0, -0.5, "relu", "AND"),    # relu(0.5) = 0.5 is not above the 0.5 threshold
    (1.0, 1.0, -0.5, "tanh", "AND"),
    (0.0, 0.0, 0.5, "step", None),      # always fires: no named gate
    (0.0, 0.0, -0.5, "step", None),     # never fires, and no decision line to draw
])
def test_title_names_the_gate_the_neuron_computes(drawings, w1, w2, b, activation, gate):
    widgets.neuron(w1=w1, w2=w2, b=b, activation=activation)
    expected, outputs = _expected_title(w1, w2, b, activation)
    plane = drawings[-1].axes[0]
    assert plane.get_title() == expected
    assert (gate or "no named gate") in plane.get_title()
    # each corner is annotated with the neuron's output there
    assert [t.get_text() for t in plane.texts] == [f"{o:.2f}" for o in outputs]


def test_title_follows_a_slider_change(drawings):
    w = widgets.neuron()  # AND at the start
    assert "AND [0, 0, 0, 1]" in drawings[-1].axes[0].get_title()
    w.controls["b"].value = -0.5
    assert drawings[-1].axes[0].get_title() == _expected_title(1.0, 1.0, -0.5, "step")[0]
    assert "OR [0, 1, 1, 1]" in drawings[-1].axes[0].get_title()


def test_changing_the_activation_redraws_the_image():
    w = widgets.neuron()
    before = _png(w.image.value)
    w.controls["activation"].value = "sigmoid"
    assert _png(w.image.value).startswith(PNG_SIGNATURE)
    assert _png(w.image.value) != before


def test_changing_the_activation_draws_that_function(drawings):
    w = widgets.neuron()
    for activation in ["sigmoid", "tanh", "relu", "softplus", "step"]:
        w.controls["activation"].value = activation
        curve = drawings[-1].axes[1]
        assert curve.get_ylabel() == f"{activation}(s)"
        s, y = curve.lines[0].get_xydata().T  # the curve is g(s) itself
        np.testing.assert_allclose(y, [G[activation](v) for v in s], rtol=1e-5, atol=1e-6)


def test_explorer_calls_draw_with_the_control_values():
    calls = []

    def draw(fig, a, label):
        calls.append((a, label))
        fig.subplots().plot([0, 1], [0, a])

    e = widgets.Explorer("demo", {"a": ipywidgets.FloatSlider(value=0.5), "label": ipywidgets.Text(value="x")}, draw)
    assert calls == [(0.5, "x")]
    e.controls["a"].value = 0.7
    e.controls["label"].value = "y"
    assert calls == [(0.5, "x"), (0.7, "x"), (0.7, "y")]
    assert _png(e.image.value).startswith(PNG_SIGNATURE)
    assert e._repr_mimebundle_()["text/plain"] == "demo (a=0.7, label=y)"
