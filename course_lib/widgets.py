"""Interactive explorers: controls on top, a matplotlib figure below that redraws when they change.

The figure is rendered to PNG and shown in an ipywidgets.Image, so an explorer works the same live in
JupyterLab, in a headless run (the default picture is drawn at construction) and in a static view of
the notebook (its output also carries that default picture as image/png).
"""
import base64
import functools
import io

import ipywidgets
import jax
import numpy as np
from matplotlib.figure import Figure

from course_lib import activations, data
from course_lib import layers as _layers, losses as _losses, plot as _plot
from course_lib import optim as _optim

__all__ = ["Explorer", "neuron", "mlp_playground", "conv_stepper", "pooling_explorer", "init_histograms",
           "layer_activations", "memory_race", "OPTIMIZERS", "optimizer_paths"]


class Explorer(ipywidgets.VBox):
    """Controls plus a picture. `draw(fig, **values)` fills a fresh Figure from the controls' values.

    controls: {name: ipywidgets control}; `values` passed to draw uses the same names.
    """

    def __init__(self, title, controls, draw, *, figsize=(9, 3.6)):
        self.title, self.controls, self._draw, self._figsize = title, dict(controls), draw, figsize
        self.image = ipywidgets.Image(format="png", layout=ipywidgets.Layout(max_width="100%"))
        rows = [ipywidgets.HBox(list(self.controls.values())[i:i + 3]) for i in range(0, len(self.controls), 3)]
        super().__init__([ipywidgets.HTML(f"<b>{title}</b>"), *rows, self.image])
        for control in self.controls.values():
            control.observe(lambda change: self.redraw(), names="value")
        self.redraw()

    @property
    def values(self):
        return {name: control.value for name, control in self.controls.items()}

    def redraw(self):
        fig = Figure(figsize=self._figsize, dpi=80, layout="constrained")
        self._draw(fig, **self.values)
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        self.image.value = buffer.getvalue()

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        settings = ", ".join(f"{k}={_fmt(v)}" for k, v in self.values.items())
        bundle["text/plain"] = f"{self.title} ({settings})"
        bundle["image/png"] = base64.b64encode(self.image.value).decode("ascii")
        return bundle


def neuron(w1=1.0, w2=1.0, b=-1.5, activation="step"):
    """An artificial neuron y = g(w1·x1 + w2·x2 + b) with sliders for w1, w2, b and a choice of g.

    Left: the output over the input plane, the decision line w1·x1 + w2·x2 + b = 0 and the four
    truth-table inputs; the title names the logic gate the neuron computes on them, if any.
    Right: the activation g(s) with the four inputs' pre-activations s marked on it.
    """
    def slider(name, value):
        return ipywidgets.FloatSlider(value=value, min=-3, max=3, step=0.1, description=name,
                                      readout_format=".1f", continuous_update=True)

    controls = {"w1": slider("w₁", w1), "w2": slider("w₂", w2), "b": slider("bias b", b),
                "activation": ipywidgets.Dropdown(options=list(_ACTIVATIONS), value=activation,
                                                  description="g(s)")}
    return Explorer("Artificial neuron  y = g(w₁x₁ + w₂x₂ + b)", controls, _draw_neuron)


_ACTIVATIONS = {"step": activations.step, "sigmoid": activations.sigmoid, "tanh": activations.tanh,
                "relu": activations.relu, "softplus": activations.softplus}


def _draw_neuron(fig, w1, w2, b, activation):
    g = _ACTIVATIONS[activation]
    corners = np.asarray(data.xor().x)
    s_corners = corners @ np.array([w1, w2]) + b
    y_corners = np.asarray(g(s_corners))
    plane, curve = fig.subplots(1, 2, width_ratios=[1.1, 1])

    grid = np.linspace(-0.5, 1.5, 161)
    x1, x2 = np.meshgrid(grid, grid)
    y = np.asarray(g(w1 * x1 + w2 * x2 + b))
    mesh = plane.pcolormesh(x1, x2, y, cmap="viridis", shading="auto")
    fig.colorbar(mesh, ax=plane, label="output y")
    if w1 or w2:
        plane.contour(x1, x2, w1 * x1 + w2 * x2 + b, levels=[0], colors="w", linewidths=2)
    for (c1, c2), out in zip(corners, y_corners):
        plane.scatter(c1, c2, s=70, color="w" if out > 0.5 else "k", edgecolor="w", zorder=3)
        plane.annotate(f"{out:.2f}", (c1, c2), xytext=(6, 6), textcoords="offset points", color="w")
    plane.set(xlabel="$x_1$", ylabel="$x_2$", aspect="equal",
              title=f"y at the corners: {_gate_name(y_corners)}")

    s = np.linspace(-4, 4, 401)
    curve.plot(s, np.asarray(g(s)), color="C0")
    curve.scatter(s_corners, y_corners, color="C3", zorder=3, label="the four inputs")
    curve.axvline(0, color="grey", lw=0.8)
    curve.set(xlabel="pre-activation s", ylabel=f"{activation}(s)", xlim=(-4, 4))
    curve.legend(loc="upper left")
    curve.grid(alpha=0.3)


def _gate_name(outputs):
    bits = tuple(int(o > 0.5) for o in outputs)
    for name, op in data.LOGIC_OPS.items():
        if bits == tuple(int(v) for v in data.logic(name).y):
            return f"{name.upper().replace('_', ' ')} {list(bits)}"
    return f"no named gate {list(bits)}"


def _fmt(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def mlp_playground(width=8, activation="tanh"):
    """An MLP 2 → H → 2 trained on two spirals; choose the hidden width H and the activation g.

    Each setting is trained once (full-batch gradient descent on the softmax cross-entropy, from the
    same random start, jitted; the result is cached), so moving back to a setting is instant.
    Left: the decision boundary over the plane, with the 200 training points and the training accuracy.
    Right: the training loss against the gradient step.
    """
    if width not in PLAYGROUND_WIDTHS:
        raise ValueError(f"mlp_playground: width must be one of {PLAYGROUND_WIDTHS}, got {width!r}")
    if activation not in PLAYGROUND_ACTIVATIONS:
        raise ValueError(f"mlp_playground: activation must be one of {PLAYGROUND_ACTIVATIONS}, got {activation!r}")
    controls = {"width": ipywidgets.SelectionSlider(options=PLAYGROUND_WIDTHS, value=width,
                                                    description="hidden units H", continuous_update=False),
                "activation": ipywidgets.Dropdown(options=PLAYGROUND_ACTIVATIONS, value=activation,
                                                  description="g(s)")}
    return Explorer("MLP 2 → H → 2 on two spirals (full-batch gradient descent)", controls, _draw_playground)


PLAYGROUND_WIDTHS = (1, 2, 4, 8, 16, 32, 64, 128)
PLAYGROUND_ACTIVATIONS = ("sigmoid", "tanh", "relu")
PLAYGROUND_STEPS, PLAYGROUND_LR = 2000, 0.5


def playground_data():
    """The playground's data set: 2 spiral arms of 100 points each, from PRNGKey(0)."""
    return data.spirals(jax.random.PRNGKey(0), 100)


@functools.lru_cache(maxsize=None)
def playground_model(width, activation):
    """(params, losses) of the playground's MLP (2, width, 2) with hidden activation `activation`, trained
    for PLAYGROUND_STEPS full-batch gradient-descent steps of size PLAYGROUND_LR from init_mlp(PRNGKey(1)).
    losses: (PLAYGROUND_STEPS,) NumPy array, the loss before each step. Cached per setting."""
    g = _ACTIVATIONS[activation]
    x, y = playground_data()
    params = _layers.init_mlp(jax.random.PRNGKey(1), (2, width, 2))
    params, loss_history = _descend(params, x, y, g)
    return params, np.asarray(loss_history)


@functools.partial(jax.jit, static_argnums=3)
def _descend(params, x, y, g):
    def loss(p):
        return _losses.softmax_cross_entropy(_layers.mlp(p, x, g), y)

    def step(p, _):
        value, grads = jax.value_and_grad(loss)(p)
        return jax.tree_util.tree_map(lambda w, d: w - PLAYGROUND_LR * d, p, grads), value

    return jax.lax.scan(step, params, None, length=PLAYGROUND_STEPS)


def _draw_playground(fig, width, activation):
    g = _ACTIVATIONS[activation]
    params, loss_history = playground_model(width, activation)
    x, y = playground_data()
    accuracy = float(np.mean(np.argmax(np.asarray(_layers.mlp(params, x, g)), axis=1) == np.asarray(y)))
    boundary, curve = fig.subplots(1, 2, width_ratios=[1, 1.1])
    _plot.decision_boundary(lambda points: activations.softmax(_layers.mlp(params, points, g))[:, 1], x, y,
                            ax=boundary, resolution=150, margin=0.2,
                            title=f"H = {width} {activation} units: training accuracy {accuracy:.2f}")
    boundary.set_aspect("equal")
    boundary.legend(loc="lower right", fontsize=8)
    curve.plot(np.arange(1, len(loss_history) + 1), loss_history, color="C0")
    curve.set(xlabel="gradient step", ylabel="training loss (cross-entropy)", yscale="log",
              title=f"{_layers.count_params(params)} parameters, final loss {loss_history[-1]:.3f}")
    curve.grid(alpha=0.3)


# ---------------------------------------------------------------- lecture 4: a kernel sliding over an image

CONV_EXAMPLES = {
    # name: (image, kernel) — the worked examples of lecture 4 (seeds 001 and 002)
    "6×6 image, kernel [1 0 −1] (seed 001)": (
        [[1, 2, 3, 1, 3, 5], [2, 2, 5, 4, 2, 5], [0, 6, 9, 6, 2, 2],
         [2, 0, 1, 9, 4, 0], [5, 5, 4, 6, 7, 6], [6, 1, 3, 7, 1, 5]],
        [[1, 0, -1], [1, 0, -1], [1, 0, -1]]),
    "5×5 binary image, X kernel (seed 002)": (
        [[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]],
        [[1, 0, 1], [0, 1, 0], [1, 0, 1]]),
    "5×5 pixels, sharpen kernel (seed 002)": (
        [[105, 102, 100, 97, 96], [103, 99, 103, 101, 102], [101, 98, 104, 102, 100],
         [99, 101, 106, 104, 99], [104, 104, 104, 100, 98]],
        [[0, -1, 0], [-1, 5, -1], [0, -1, 0]]),
}


def conv_stepper(example="6×6 image, kernel [1 0 −1] (seed 001)", stride=1, padding=0, step=1, flip=False):
    """A kernel sliding over a small image, one output cell at a time.

    Controls: the worked example (image and kernel), stride S and zero padding P (in pixels), the step
    (which output cell is being computed, in reading order) and whether the kernel is flipped first
    (true convolution) or not (cross-correlation, what deep-learning layers compute).
    Left: the padded input with the current window outlined; rows/columns no window reaches are hatched.
    Then the kernel as it is applied, the products window × kernel, and the output filled up to the
    current cell.
    The title spells out the sum of products for the current cell.
    """
    if example not in CONV_EXAMPLES:
        raise ValueError(f"conv_stepper: example must be one of {list(CONV_EXAMPLES)}, got {example!r}")
    controls = {
        "example": ipywidgets.Dropdown(options=list(CONV_EXAMPLES), value=example, description="example",
                                       layout=ipywidgets.Layout(width="360px")),
        "stride": ipywidgets.IntSlider(value=stride, min=1, max=3, description="stride S (px)"),
        "padding": ipywidgets.IntSlider(value=padding, min=0, max=2, description="padding P (px)"),
        "step": ipywidgets.IntSlider(value=step, min=1, max=_conv_positions(example, stride, padding),
                                     description="output cell #"),
        "flip": ipywidgets.Checkbox(value=flip, description="flip kernel (true convolution)"),
    }
    explorer = Explorer("A kernel sliding over an image: window × kernel, summed, fills one output cell",
                        controls, _draw_conv_stepper, figsize=(11, 3.6))

    def refit_step(change):
        # the number of output cells depends on the example, stride and padding
        controls["step"].max = _conv_positions(controls["example"].value, controls["stride"].value,
                                               controls["padding"].value)

    for name in ("example", "stride", "padding"):
        controls[name].observe(refit_step, names="value")
    return explorer


def _conv_positions(example, stride, padding):
    image, kernel = (np.asarray(a) for a in CONV_EXAMPLES[example])
    from course_lib import conv as _conv
    return (_conv.conv_output_size(image.shape[0], kernel.shape[0], padding, stride)
            * _conv.conv_output_size(image.shape[1], kernel.shape[1], padding, stride))


def _draw_conv_stepper(fig, example, stride, padding, step, flip):
    from course_lib import conv as _conv
    image, kernel = (np.asarray(a) for a in CONV_EXAMPLES[example])
    if flip:
        kernel = kernel[::-1, ::-1]
    k = kernel.shape[0]
    padded = np.pad(image, padding)
    out = np.asarray(_conv.conv2d(image[None, :, :, None], kernel[:, :, None, None],
                                  stride=stride, padding=padding))[0, :, :, 0]
    h_out, w_out = out.shape
    step = min(max(step, 1), h_out * w_out)
    i, j = divmod(step - 1, w_out)
    top, left = i * stride, j * stride
    window = padded[top:top + k, left:left + k]

    ax_in, ax_k, ax_prod, ax_out = fig.subplots(1, 4, width_ratios=[padded.shape[1], k, k, max(w_out, 2)])
    reached = (h_out - 1) * stride + k, (w_out - 1) * stride + k    # rows/columns some window covers
    _number_grid(ax_in, padded, title=f"input {image.shape[0]}×{image.shape[1]}, padded by P = {padding}",
                 grey=lambda r, c: not (padding <= r < padding + image.shape[0]
                                        and padding <= c < padding + image.shape[1]))
    for r in range(padded.shape[0]):
        for c in range(padded.shape[1]):
            if r >= reached[0] or c >= reached[1]:
                ax_in.add_patch(_rect(c, r, 1, 1, hatch="///", edgecolor="0.6", fill=False, lw=0))
    ax_in.add_patch(_rect(left, top, k, k, edgecolor="C3", fill=False, lw=3))
    _number_grid(ax_k, kernel, title="kernel (flipped)" if flip else "kernel")
    _number_grid(ax_prod, window * kernel, title="window × kernel, elementwise")
    _number_grid(ax_out, np.where(np.arange(h_out * w_out).reshape(h_out, w_out) < step, out, np.nan),
                 title=f"output {h_out}×{w_out}, stride S = {stride}")
    ax_out.add_patch(_rect(j, i, 1, 1, edgecolor="C3", fill=False, lw=3))
    terms = " + ".join(f"{a}·{b}" if b >= 0 else f"{a}·({b})" for a, b in zip(window.ravel(), kernel.ravel()))
    fig.suptitle(f"output cell ({i}, {j}) = sum of the products = {terms} = {int(out[i, j])}", fontsize=10)


def _rect(x, y, w, h, **style):
    from matplotlib.patches import Rectangle
    return Rectangle((x - 0.5, y - 0.5), w, h, **style)


def _number_grid(ax, values, *, title, grey=None):
    """A small matrix drawn as a table of numbers; NaN cells are left empty, `grey(r, c)` cells are padding."""
    rows, cols = values.shape
    ax.set(xlim=(-0.5, cols - 0.5), ylim=(rows - 0.5, -0.5), aspect="equal", xticks=[], yticks=[])
    ax.set_title(title, fontsize=9)
    for r in range(rows):
        for c in range(cols):
            padding_cell = grey is not None and grey(r, c)
            ax.add_patch(_rect(c, r, 1, 1, facecolor="0.88" if padding_cell else "white", edgecolor="0.7", lw=0.8))
            v = values[r, c]
            if not np.isnan(v):
                ax.text(c, r, f"{int(v)}", ha="center", va="center", fontsize=8 if abs(v) >= 100 else 9,
                        color="0.5" if padding_cell else "black")


# --- lecture 5: pooling --------------------------------------------------------------------------

POOLING_SEED000 = ((1, 4, 5, 8, 2, 1), (0, 3, 1, 5, 7, 2), (1, 2, 1, 4, 7, 1),
                   (2, 2, 0, 3, 6, 2), (0, 1, 7, 3, 5, 3), (1, 3, 4, 1, 2, 4))
POOLING_SOURCES = ("6×6 example (seed 000)",) + tuple(f"test digit {k}" for k in range(10))


def pooling_explorer(source="test digit 3", kind="max", size=2, stride=2, shift=0):
    """Max or average pooling of one map: choose the input, the pooling, the window size and the stride,
    and shift the input to the right to see what pooling forgives.

    Left: the input (pixel values 0–16 for a digit), shifted right by `shift` pixels (zeros come in on
    the left), with the first window outlined in red and the second, one stride further, in orange.
    Middle: the pooled map, its values and its shape. Right: where the pooled map of the shifted input
    differs from the pooled map of the unshifted one, and in how many cells.
    """
    if source not in POOLING_SOURCES:
        raise ValueError(f"pooling_explorer: source must be one of {list(POOLING_SOURCES)}, got {source!r}")
    if kind not in ("max", "avg"):
        raise ValueError(f"pooling_explorer: kind must be 'max' or 'avg', got {kind!r}")
    controls = {
        "source": ipywidgets.Dropdown(options=POOLING_SOURCES, value=source, description="input"),
        "kind": ipywidgets.ToggleButtons(options=[("max", "max"), ("average", "avg")], value=kind,
                                         description="pooling"),
        "size": ipywidgets.IntSlider(value=size, min=1, max=4, description="window K (px)"),
        "stride": ipywidgets.IntSlider(value=stride, min=1, max=4, description="stride S (px)"),
        "shift": ipywidgets.IntSlider(value=shift, min=0, max=3, description="shift right (px)"),
    }
    return Explorer("Pooling: one number per window", controls, _draw_pooling, figsize=(11, 3.8))


@functools.lru_cache(maxsize=None)
def _pooling_input(source):
    """The chosen input as a 2-D float array: the seed's 6×6 numbers, or a test digit in 0–16."""
    if source == POOLING_SOURCES[0]:
        return np.asarray(POOLING_SEED000, dtype=np.float32)
    split = data.digits(images=True)
    labels = np.asarray(split.y_test)
    first = int(np.flatnonzero(labels == int(source.split()[-1]))[0])
    return np.round(np.asarray(split.x_test[first, :, :, 0]) * 16).astype(np.float32)


def _draw_pooling(fig, source, kind, size, stride, shift):
    from course_lib import pooling as _pooling
    image = _pooling_input(source)
    shifted = np.pad(image, ((0, 0), (shift, 0)))[:, :image.shape[1]]
    pool = _pooling.max_pool2d if kind == "max" else _pooling.avg_pool2d
    pooled = np.asarray(pool(shifted[None, :, :, None], size, stride))[0, :, :, 0]
    reference = np.asarray(pool(image[None, :, :, None], size, stride))[0, :, :, 0]
    changed = ~np.isclose(pooled, reference)
    ax_in, ax_out, ax_diff = fig.subplots(1, 3, width_ratios=[image.shape[1], max(pooled.shape[1], 3),
                                                              max(pooled.shape[1], 3)])
    vmax = max(float(image.max()), 1.0)
    _value_map(ax_in, shifted, vmax, f"input {image.shape[0]}×{image.shape[1]}, shifted right {shift} px")
    from matplotlib.patches import Rectangle
    for col, color in ((0, "C3"), (stride, "C1")):
        if col + size <= image.shape[1]:
            ax_in.add_patch(Rectangle((col - 0.5, -0.5), size, size, fill=False, edgecolor=color, lw=3,
                                      ls="-" if col == 0 else "--"))
    name = "max" if kind == "max" else "average"
    _value_map(ax_out, pooled, vmax, f"{name} pool K={size}, S={stride}\n→ {pooled.shape[0]}×{pooled.shape[1]}, "
                                     f"shape (1, {pooled.shape[0]}, {pooled.shape[1]}, 1)")
    _value_map(ax_diff, np.abs(pooled - reference), vmax,
               f"|change| from the shift:\n{int(changed.sum())} of {changed.size} pooled cells changed", cmap="Reds")


def _value_map(ax, values, vmax, title, cmap="Greys"):
    """A small map as a heat map with its values written in the cells (integers without decimals)."""
    ax.imshow(values, cmap=cmap, vmin=0, vmax=vmax)
    ax.set(xticks=[], yticks=[])
    ax.set_title(title, fontsize=9)
    if values.size <= 100:
        for (r, c), v in np.ndenumerate(values):
            text = f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}"
            ax.text(c, r, text, ha="center", va="center", fontsize=8,
                    color="white" if v > 0.6 * vmax else "black")


# ---- lecture 8: activation histograms per layer ----------------------------------------------------------

_INIT_SCHEMES = ("normal std 0.01", "normal std 1", "lecun_normal", "xavier_normal", "he_normal")
_HIST_ACTIVATIONS = ("sigmoid", "tanh", "relu", "linear")


def init_histograms(depth=10, activation="tanh", scheme="xavier_normal", width=256):
    """Per-layer histograms of a deep network's activations: choose the depth, the activation g and the
    initialization scheme. 500 inputs x ~ N(0, 1) of `width` features pass through `depth` dense layers of
    `width` units, h_l = g(h_{l−1} W_l), W_l drawn with the scheme (no biases); each panel shows one
    layer's activations with their standard deviation."""
    controls = {
        "depth": ipywidgets.IntSlider(value=depth, min=2, max=12, description="layers", continuous_update=False),
        "activation": ipywidgets.Dropdown(options=_HIST_ACTIVATIONS, value=activation, description="g(s)"),
        "scheme": ipywidgets.Dropdown(options=_INIT_SCHEMES, value=scheme, description="init"),
    }
    return Explorer("Activations per layer: depth, activation and initialization",
                    controls, functools.partial(_draw_init_histograms, width=width), figsize=(11, 3.2))


def layer_activations(key, depth, activation, scheme, width=256, n=500):
    """The activations of every layer, (depth, n, width), for the init_histograms explorer and lecture 8:
    x ~ N(0, 1) of shape (n, width), h_l = g(h_{l−1} W_l) with W_l = scheme(key_l, (width, width))."""
    from course_lib import init as _init
    schemes = {"normal std 0.01": lambda k, s: _init.normal(k, s, 0.01),
               "normal std 1": lambda k, s: _init.normal(k, s, 1.0),
               "lecun_normal": _init.lecun_normal, "xavier_normal": _init.xavier_normal, "he_normal": _init.he_normal}
    if scheme not in schemes:
        raise ValueError(f"layer_activations: scheme must be one of {sorted(schemes)}, got {scheme!r}")
    acts = {"sigmoid": activations.sigmoid, "tanh": activations.tanh, "relu": activations.relu,
            "linear": lambda z: z}
    if activation not in acts:
        raise ValueError(f"layer_activations: activation must be one of {sorted(acts)}, got {activation!r}")
    k_x, *keys = jax.random.split(key, depth + 1)
    h, out = jax.random.normal(k_x, (n, width)), []
    for k in keys:
        h = acts[activation](h @ schemes[scheme](k, (width, width)))
        out.append(np.asarray(h))
    return np.stack(out)


def _draw_init_histograms(fig, depth, activation, scheme, width):
    hs = layer_activations(jax.random.PRNGKey(0), depth, activation, scheme, width)
    axes = fig.subplots(1, depth)
    # one fixed range for every layer, so a collapse shows as a spike at 0 and an explosion as the
    # mass piling up in the outermost bins (values beyond the range are clipped into them)
    a, b = {"sigmoid": (0, 1), "tanh": (-1, 1), "relu": (0, 3), "linear": (-3, 3)}[activation]
    for layer, (ax, h) in enumerate(zip(axes, hs), start=1):
        h = h.ravel()
        shown = h[h > 0] if activation == "relu" else h  # the exact zeros of a ReLU would hide the rest
        ax.hist(np.clip(shown, a, b), bins=40, range=(a, b), color="C0")
        ax.set_title(f"layer {layer}\nstd {np.std(h):.2g}", fontsize=9)
        ax.tick_params(labelsize=7)
        ax.set_yticks([])
    axes[0].set_ylabel("count")
    note = " (zeros left out; values beyond 3 piled into the last bin)" if activation == "relu" else (
        " (values beyond ±3 piled into the end bins)" if activation == "linear" else "")
    fig.supxlabel(f"activation value g(s) of each layer: {activation}, {scheme}, width {width}{note}", fontsize=9)


def memory_race(delays, loss_rnn, loss_lstm, acc_rnn, acc_lstm, *, delay=None, chance=None):
    """Which model still learns to remember across a delay? A slider over precomputed training runs.

    delays: (M,) the delays trained (steps between the symbol and the answer); loss_rnn, loss_lstm:
    (M, S) the training loss of each run after each of S steps; acc_rnn, acc_lstm: (M,) each run's test
    accuracy. Moving the slider only redraws (nothing is trained), so it is fast.
    Left: both loss curves at the chosen delay. Right: accuracy against delay, the chosen delay marked.
    """
    delays = [int(d) for d in np.asarray(delays)]
    curves = {"vanilla RNN": np.asarray(loss_rnn, float), "LSTM": np.asarray(loss_lstm, float)}
    accuracy = {"vanilla RNN": np.asarray(acc_rnn, float), "LSTM": np.asarray(acc_lstm, float)}
    for name in curves:
        if curves[name].ndim != 2 or curves[name].shape[0] != len(delays) or accuracy[name].shape != (len(delays),):
            raise ValueError(f"memory_race: the {name} results must be (M, S) losses and (M,) accuracies for "
                             f"M = {len(delays)} delays, got {curves[name].shape} and {accuracy[name].shape}")
    delay = delays[-1] if delay is None else delay
    if delay not in delays:
        raise ValueError(f"memory_race: delay must be one of the trained delays {delays}, got {delay!r}")
    control = ipywidgets.SelectionSlider(options=delays, value=delay, description="delay (steps)",
                                         continuous_update=False, style={"description_width": "initial"})

    def draw(fig, delay):
        k = delays.index(delay)
        left, right = fig.subplots(1, 2)
        for color, name in zip(("C3", "C0"), curves):
            left.plot(np.arange(1, curves[name].shape[1] + 1), curves[name][k], color=color, lw=1.2, label=name)
            right.plot(delays, accuracy[name], "o-", color=color, label=name)
            right.scatter([delay], [accuracy[name][k]], s=140, facecolor="none", edgecolor="k", zorder=3)
        left.set(xlabel="training step", ylabel="cross-entropy loss", ylim=(0, None),
                 title=f"training at delay {delay}: RNN {accuracy['vanilla RNN'][k]:.0%}, "
                       f"LSTM {accuracy['LSTM'][k]:.0%} right")
        if chance is not None:
            right.axhline(chance, color="grey", ls=":", lw=1, label="chance")
        right.axvline(delay, color="grey", lw=0.8)
        right.set(xlabel="delay (steps between symbol and answer)", ylabel="test accuracy", ylim=(0, 1.05),
                  title="accuracy after training")
        for ax in (left, right):
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8, loc="best")

    return Explorer("Recall a symbol after a delay: vanilla RNN vs LSTM", {"delay": control}, draw)


# ---- lecture 7: optimizer paths on 2-D surfaces ----------------------------------------------------------

OPTIMIZERS = ("sgd", "momentum", "nesterov", "adagrad", "adadelta", "rmsprop", "adam")


def optimizer_paths(surface="ravine", optimizer="momentum", lr=0.1, steps=None):
    """Pick a loss surface (plot.SURFACES), an optimizer of course_lib.optim (its other hyperparameters
    at their defaults), the learning rate η and the number of steps. Left: the path over the contour
    lines. Right: the loss above its minimum, f(w_t) − f*, per step (log scale)."""
    if surface not in _plot.SURFACES:
        raise ValueError(f"optimizer_paths: surface must be one of {sorted(_plot.SURFACES)}, got {surface!r}")
    if optimizer not in OPTIMIZERS:
        raise ValueError(f"optimizer_paths: optimizer must be one of {list(OPTIMIZERS)}, got {optimizer!r}")
    steps = _plot.SURFACES[surface].steps if steps is None else steps
    controls = {
        "surface": ipywidgets.Dropdown(options=list(_plot.SURFACES), value=surface, description="surface"),
        "optimizer": ipywidgets.Dropdown(options=list(OPTIMIZERS), value=optimizer, description="optimizer"),
        "lr": ipywidgets.FloatLogSlider(value=lr, base=10, min=-4, max=1, step=0.1, description="η",
                                        readout_format=".1e", continuous_update=False),
        "steps": ipywidgets.IntSlider(value=steps, min=10, max=2000, step=10, description="steps",
                                      continuous_update=False),
    }
    return Explorer("Optimizer paths on a 2-D loss surface", controls, _draw_optimizer_paths, figsize=(10, 3.8))


@functools.lru_cache(maxsize=64)
def _path_function(optimizer, surface, steps):
    """A jitted (η, w_0) -> path for one optimizer, surface and step count: η is an argument, so moving
    the learning-rate slider does not compile again."""
    f = _plot.SURFACES[surface].f
    make = getattr(_optim, optimizer)
    return jax.jit(lambda lr, w0: _optim.trajectory(make(lr), jax.grad(f), w0, steps))


def _draw_optimizer_paths(fig, surface, optimizer, lr, steps):
    s = _plot.SURFACES[surface]
    path = np.asarray(_path_function(optimizer, surface, int(steps))(float(lr), np.asarray(s.start, np.float32)))
    f_min = min(float(s.f(np.asarray(m))) for m in s.minima)
    with np.errstate(over="ignore", invalid="ignore"):  # a diverging path overflows: shown as "diverged"
        gap = np.asarray(s.f(path.T.astype(np.float64)), dtype=np.float64) - f_min
    left, right = fig.subplots(1, 2, width_ratios=[1.2, 1])
    finite = np.isfinite(path).all(axis=1) & np.isfinite(gap)
    _plot.contour_paths(s, {f"{optimizer} η={lr:.2g}": path[finite]}, ax=left)
    end = "diverged (overflow)" if not finite.all() else f"f − f* = {gap[-1]:.2e} after {steps} steps"
    right.semilogy(np.arange(len(gap))[finite], np.maximum(gap[finite], 1e-12),
                   color=_plot.OPTIMIZER_COLORS[optimizer])
    right.set(xlabel="step $t$", ylabel="$f(w_t) - f^*$  (log scale)", title=end)
    right.grid(alpha=0.3)
