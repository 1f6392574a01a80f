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


# ---- pooling_explorer (lecture 5) ----------------------------------------------------------------

def _panel_text(ax):
    return [t.get_text() for t in ax.texts]


def test_pooling_explorer_default_is_a_max_pool_of_a_digit(drawings):
    w = widgets.pooling_explorer()
    assert _png(w.image.value).startswith(PNG_SIGNATURE)
    assert w.values == {"source": "test digit 3", "kind": "max", "size": 2, "stride": 2, "shift": 0}
    ax_in, ax_out, ax_diff = drawings[-1].axes[:3]
    assert "shape (1, 4, 4, 1)" in ax_out.get_title()
    assert "0 of 16 pooled cells changed" in ax_diff.get_title()
    assert len(_panel_text(ax_in)) == 64 and len(_panel_text(ax_out)) == 16


def test_pooling_explorer_shows_the_seed000_maxima(drawings):
    w = widgets.pooling_explorer(source="6×6 example (seed 000)", size=3, stride=1)
    out = _panel_text(drawings[-1].axes[1])
    assert out == [str(v) for v in [5, 8, 8, 8, 3, 5, 7, 7, 7, 7, 7, 7, 7, 7, 7, 6]]
    w.controls["stride"].value = 3
    assert _panel_text(drawings[-1].axes[1]) == ["5", "8", "7", "6"]
    assert "→ 2×2" in drawings[-1].axes[1].get_title()


def test_pooling_explorer_average_of_the_seed000_blocks(drawings):
    widgets.pooling_explorer(source="6×6 example (seed 000)", kind="avg", size=3, stride=3)
    sums = [[18, 37], [20, 29]]   # the four 3×3 block sums of seed 000's map, added by hand
    # 18/9 = 2 exactly is written without decimals, the others with one
    assert _panel_text(drawings[-1].axes[1]) == ["2", "4.1", "2.2", "3.2"]
    assert [round(s / 9, 1) for row in sums for s in row] == [2.0, 4.1, 2.2, 3.2]


def test_pooling_explorer_counts_the_cells_a_shift_changes(drawings):
    w = widgets.pooling_explorer(source="6×6 example (seed 000)", size=3, stride=3)
    w.controls["shift"].value = 1
    image = np.array(widgets.POOLING_SEED000, dtype=float)
    shifted = np.pad(image, ((0, 0), (1, 0)))[:, :6]
    blocks = lambda a: np.array([[a[r:r + 3, c:c + 3].max() for c in (0, 3)] for r in (0, 3)])
    changed = int(np.sum(blocks(shifted) != blocks(image)))
    assert f"{changed} of 4 pooled cells changed" in drawings[-1].axes[2].get_title()


def test_pooling_explorer_rejects_unknown_choices():
    with pytest.raises(ValueError, match="pooling_explorer: source must be one of"):
        widgets.pooling_explorer(source="cat")
    with pytest.raises(ValueError, match="pooling_explorer: kind must be 'max' or 'avg', got 'min'"):
        widgets.pooling_explorer(kind="min")


# ---- mlp_playground (lecture 2) -------------------------------------------------------------------------

def _numpy_mlp(params, x, g):
    """The 2 → H → 2 network in NumPy (float64), independently of course_lib.layers."""
    h = g(np.asarray(x, np.float64) @ np.asarray(params[0].W) + np.asarray(params[0].b))
    return h @ np.asarray(params[1].W) + np.asarray(params[1].b)


def _numpy_cross_entropy(logits, labels):
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return -np.mean(log_p[np.arange(len(labels)), labels])


def test_mlp_playground_builds_with_width_and_activation_controls(drawings):
    w = widgets.mlp_playground(width=2, activation="tanh")
    assert isinstance(w, widgets.Explorer)
    assert w.values == {"width": 2, "activation": "tanh"}
    assert w.controls["width"].continuous_update is False
    assert tuple(w.controls["width"].options) == widgets.PLAYGROUND_WIDTHS
    assert tuple(w.controls["activation"].options) == widgets.PLAYGROUND_ACTIVATIONS


def test_mlp_playground_title_reports_the_accuracy_of_the_trained_network(drawings):
    widgets.mlp_playground(width=4, activation="relu")
    params, history = widgets.playground_model(4, "relu")
    x, y = widgets.playground_data()
    accuracy = np.mean(np.argmax(_numpy_mlp(params, x, lambda s: np.maximum(s, 0)), axis=1) == np.asarray(y))
    boundary, curve = drawings[-1].axes[:2]
    assert boundary.get_title() == f"H = 4 relu units: training accuracy {accuracy:.2f}"
    assert curve.get_title() == f"{4 * 2 + 4 + 4 * 2 + 2} parameters, final loss {history[-1]:.3f}"
    np.testing.assert_allclose(curve.lines[0].get_ydata(), history)


def test_mlp_playground_training_starts_at_the_initial_loss_and_descends():
    import jax
    from course_lib import layers

    params, history = widgets.playground_model(2, "tanh")
    x, y = widgets.playground_data()
    start = layers.init_mlp(jax.random.PRNGKey(1), (2, 2, 2))
    assert history.shape == (widgets.PLAYGROUND_STEPS,)
    assert history[0] == pytest.approx(_numpy_cross_entropy(_numpy_mlp(start, x, np.tanh), np.asarray(y)), rel=1e-4)
    assert history[-1] < history[0]
    assert _numpy_cross_entropy(_numpy_mlp(params, x, np.tanh), np.asarray(y)) < history[0]


def test_mlp_playground_trains_each_setting_once(monkeypatch, drawings):
    calls = []
    original = widgets._descend
    monkeypatch.setattr(widgets, "_descend", lambda *args: calls.append(args[3]) or original(*args))
    widgets.playground_model.cache_clear()
    w = widgets.mlp_playground(width=2, activation="tanh")
    w.controls["width"].value = 1
    assert len(calls) == 2
    w.controls["width"].value = 2  # back to trained settings: drawn again, not trained again
    w.controls["width"].value = 1
    assert len(calls) == 2 and len(drawings) == 4


def test_mlp_playground_redraws_when_the_activation_changes():
    w = widgets.mlp_playground(width=2, activation="tanh")
    before = _png(w.image.value)
    w.controls["activation"].value = "relu"
    assert _png(w.image.value).startswith(PNG_SIGNATURE) and _png(w.image.value) != before
    assert "activation=relu" in w._repr_mimebundle_()["text/plain"]


@pytest.mark.parametrize("kwargs, match", [({"width": 3}, r"^mlp_playground: width must be one of"),
                                           ({"activation": "step"}, r"^mlp_playground: activation must be one of")])
def test_mlp_playground_rejects_settings_it_does_not_offer(kwargs, match):
    with pytest.raises(ValueError, match=match):
        widgets.mlp_playground(**kwargs)


# ---- memory_race (lecture 6) ---------------------------------------------------------------------------

def _race(**kwargs):
    delays = [1, 4, 8]
    loss_rnn = np.array([np.linspace(2, 0.1, 20), np.linspace(2, 1.0, 20), np.full(20, 2.0)])
    loss_lstm = np.array([np.linspace(2, 0.05, 20)] * 3)
    return widgets.memory_race(delays, loss_rnn, loss_lstm, [1.0, 0.6, 0.25], [1.0, 1.0, 0.97], chance=0.25, **kwargs)


def test_memory_race_plots_the_chosen_delays_curves_and_marks_it(figures):
    w = _race(delay=4)
    left, right = figures[-1].axes
    np.testing.assert_allclose(left.lines[0].get_ydata(), np.linspace(2, 1.0, 20))   # RNN at delay 4
    np.testing.assert_allclose(left.lines[1].get_ydata(), np.linspace(2, 0.05, 20))  # LSTM at delay 4
    assert "RNN 60%" in left.get_title() and "LSTM 100%" in left.get_title()
    assert list(right.lines[0].get_xdata()) == [1, 4, 8]
    w.controls["delay"].value = 8
    assert "RNN 25%" in figures[-1].axes[0].get_title()
    assert "delay=8" in w._repr_mimebundle_()["text/plain"]
    assert w.controls["delay"].continuous_update is False


def test_memory_race_rejects_an_untrained_delay_and_mismatched_results():
    with pytest.raises(ValueError, match=r"^memory_race: delay must be one of the trained delays \[1, 4, 8\], got 5"):
        _race(delay=5)
    with pytest.raises(ValueError, match=r"^memory_race: the LSTM results must be"):
        widgets.memory_race([1, 2], np.zeros((2, 5)), np.zeros((3, 5)), [1, 1], [1, 1])


# ---- optimizer_paths (lecture 7) -----------------------------------------------------------------------

def test_optimizer_paths_draws_the_library_trajectory_and_redraws_on_change(figures):
    import jax
    import jax.numpy as jnp

    from course_lib import optim, plot

    w = widgets.optimizer_paths(surface="ravine", optimizer="momentum", lr=0.1, steps=30)
    left, right = figures[-1].axes
    expected = optim.trajectory(optim.momentum(0.1), jax.grad(plot.SURFACES["ravine"].f), jnp.array([-9.0, 1.5]), 30)
    path_line = left.lines[0]
    np.testing.assert_allclose(path_line.get_xdata(), np.asarray(expected)[:, 0], rtol=1e-5, atol=1e-6)
    assert len(right.lines[0].get_ydata()) == 31
    assert bytes(w.image.value).startswith(PNG_SIGNATURE)
    w.controls["optimizer"].value = "adam"
    assert "adam" in figures[-1].axes[0].lines[0].get_label()
    assert all(w.controls[k].continuous_update is False for k in ("lr", "steps"))
    assert "optimizer=adam" in w._repr_mimebundle_()["text/plain"]


def test_optimizer_paths_reports_divergence_instead_of_failing(figures):
    widgets.optimizer_paths(surface="ravine", optimizer="sgd", lr=5.0, steps=400)
    assert "diverged" in figures[-1].axes[1].get_title()


def test_optimizer_paths_rejects_unknown_names():
    with pytest.raises(ValueError, match=r"^optimizer_paths: surface must be one of \['ravine', 'rosenbrock', 'saddle'\], got 'bowl'"):
        widgets.optimizer_paths(surface="bowl")
    with pytest.raises(ValueError, match=r"^optimizer_paths: optimizer must be one of \['sgd', .*'adam'\], got 'lbfgs'"):
        widgets.optimizer_paths(optimizer="lbfgs")


# ---- lecture 8: init_histograms ------------------------------------------------------------------------------

def test_layer_activations_keep_scale_with_he_relu_and_collapse_with_small_weights():
    import jax
    key = jax.random.PRNGKey(0)
    he = widgets.layer_activations(key, 6, "relu", "he_normal", width=128, n=200)
    small = widgets.layer_activations(key, 6, "relu", "normal std 0.01", width=128, n=200)
    assert he.shape == small.shape == (6, 200, 128)
    assert 0.5 < he[-1].std() / he[0].std() < 2
    # each ReLU layer scales the std by √(128/2)·0.01 = 0.08
    assert small[-1].std() / small[0].std() == pytest.approx(0.08 ** 5, rel=0.5)


def test_init_histograms_draws_one_panel_per_layer_and_redraws():
    w = widgets.init_histograms(depth=4, activation="tanh", scheme="xavier_normal", width=32)
    first = bytes(w.image.value)
    assert first.startswith(PNG_SIGNATURE)
    assert w.controls["depth"].continuous_update is False
    w.controls["depth"].value = 3
    assert bytes(w.image.value) != first
    assert "scheme=xavier_normal" in w._repr_mimebundle_()["text/plain"]


def test_layer_activations_rejects_unknown_names():
    import jax
    with pytest.raises(ValueError, match=r"^layer_activations: scheme must be one of .*, got 'glorot'"):
        widgets.layer_activations(jax.random.PRNGKey(0), 3, "tanh", "glorot")
    with pytest.raises(ValueError, match=r"^layer_activations: activation must be one of .*, got 'elu'"):
        widgets.layer_activations(jax.random.PRNGKey(0), 3, "elu", "he_normal")


# ---- lecture 4: conv_stepper -----------------------------------------------------------------------------

def _stepper_title(fig):
    return fig._suptitle.get_text()


def _naive_cell(image, kernel, stride, padding, i, j):
    padded = np.pad(np.asarray(image), padding)
    k = len(kernel)
    return int(np.sum(padded[i * stride:i * stride + k, j * stride:j * stride + k] * np.asarray(kernel)))


def test_conv_stepper_default_shows_seed001_last_cell_and_a_png():
    w = widgets.conv_stepper(step=16)
    assert set(w.controls) == {"example", "stride", "padding", "step", "flip"}
    assert _png(w.image.value).startswith(PNG_SIGNATURE)
    assert w.controls["step"].max == 16
    assert "step=16" in w._repr_mimebundle_()["text/plain"]


@pytest.mark.parametrize("example", list(widgets.CONV_EXAMPLES))
@pytest.mark.parametrize("stride,padding,step", [(1, 0, 1), (2, 1, 4), (1, 1, 7), (3, 0, 2)])
def test_conv_stepper_title_sum_matches_a_naive_window_sum(drawings, example, stride, padding, step):
    image, kernel = widgets.CONV_EXAMPLES[example]
    widgets.conv_stepper(example, stride=stride, padding=padding, step=step)
    n = len(np.pad(np.asarray(image), padding))
    w_out = (n - len(kernel)) // stride + 1                 # the examples are square
    i, j = divmod(min(step, w_out * w_out) - 1, w_out)      # a step past the last cell shows the last cell
    title = _stepper_title(drawings[-1])
    assert title.startswith(f"output cell ({i}, {j})")
    assert title.endswith(f"= {_naive_cell(image, kernel, stride, padding, i, j)}")


def test_conv_stepper_flip_turns_the_kernel_by_180_degrees(drawings):
    w = widgets.conv_stepper(step=1)
    assert _stepper_title(drawings[-1]).endswith("= -14")
    w.controls["flip"].value = True
    assert _stepper_title(drawings[-1]).endswith("= 14")


def test_conv_stepper_step_range_follows_stride_and_padding(drawings):
    w = widgets.conv_stepper(step=16)
    w.controls["stride"].value = 2                         # 6×6, 3×3, S = 2: a 2×2 output
    assert w.controls["step"].max == 4 and w.controls["step"].value == 4
    w.controls["padding"].value = 1                        # padded 8×8: a 3×3 output
    assert w.controls["step"].max == 9
    assert "output 3×3, stride S = 2" in [ax.get_title() for ax in drawings[-1].axes]


def test_conv_stepper_rejects_an_unknown_example():
    with pytest.raises(ValueError, match=r"^conv_stepper: example must be one of"):
        widgets.conv_stepper("7×7 mystery")


# Every explorer behaves like the rest of Jupyter: each control is labelled, and the default picture is there
# before anyone touches a control (what a headless run, a static view and a new student all see first).
_EXPLORERS = {
    "neuron": lambda: widgets.neuron(),
    "mlp_playground": lambda: widgets.mlp_playground(),
    "conv_stepper": lambda: widgets.conv_stepper(),
    "pooling_explorer": lambda: widgets.pooling_explorer(),
    "init_histograms": lambda: widgets.init_histograms(depth=3, width=16),
    "memory_race": lambda: widgets.memory_race(np.array([1, 5]), np.ones((2, 4)), np.ones((2, 4)),
                                               np.array([1.0, 0.5]), np.array([1.0, 1.0])),
    "optimizer_paths": lambda: widgets.optimizer_paths(steps=20),
}


def test_every_explorer_of_the_module_is_covered_here():
    factories = {name for name in widgets.__all__ if callable(getattr(widgets, name))
                 and not isinstance(getattr(widgets, name), type) and name != "layer_activations"}
    assert factories == set(_EXPLORERS)


@pytest.mark.parametrize("name", sorted(_EXPLORERS))
def test_explorer_controls_are_labelled_and_the_default_picture_is_drawn(name):
    explorer = _EXPLORERS[name]()
    assert isinstance(explorer, widgets.Explorer) and explorer.controls
    for key, control in explorer.controls.items():
        assert control.description.strip(), f"{name}: control {key!r} has no label"
    png = _png(explorer.image.value)
    assert png.startswith(PNG_SIGNATURE) and len(png) > 1000
