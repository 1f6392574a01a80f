"""Interactive explorers: controls on top, a matplotlib figure below that redraws when they change.

The figure is rendered to PNG and shown in an ipywidgets.Image, so an explorer works the same live in
JupyterLab, in a headless run (the default picture is drawn at construction) and in a static view of
the notebook (its output also carries that default picture as image/png).
"""
import base64
import io

import ipywidgets
import numpy as np
from matplotlib.figure import Figure

from course_lib import activations, data

__all__ = ["Explorer", "neuron"]


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
