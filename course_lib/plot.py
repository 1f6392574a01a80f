"""Figures the lectures reuse: decision boundaries of 2-D classifiers and training curves.

Each function draws on a given matplotlib Axes (or makes one) and returns the Axes or Figure, so a
notebook can combine them into subplots.
"""
from typing import Callable, NamedTuple

import matplotlib.pyplot as plt
import numpy as np

__all__ = ["CLASS_COLORS", "decision_boundary", "curves", "confusion_matrix", "image_grid",
           "Surface", "SURFACES", "OPTIMIZER_COLORS", "contour_paths"]

CLASS_COLORS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2",
                "#7f7f7f", "#bcbd22", "#17becf")


def decision_boundary(predict, x, y, *, ax=None, resolution=200, margin=0.5, title=None):
    """The regions a 2-D classifier assigns to each class, with the data on top.

    predict: maps points (M, 2) to either integer class labels (M,), drawn as coloured regions, or
             floats in [0, 1] read as P(class 1), drawn as shading with the 0.5 contour as the boundary.
    x: (N, 2) points, y: (N,) integer labels. Returns the Axes.
    """
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim != 2 or x.shape[1] != 2:
        raise ValueError(f"decision_boundary: x must have shape (N, 2), got {x.shape}")
    if y.shape != x.shape[:1]:
        raise ValueError(f"decision_boundary: y must have shape (N,) = ({x.shape[0]},), got {y.shape}")
    ax = ax or plt.subplots(figsize=(4.5, 4))[1]
    lo, hi = x.min(axis=0) - margin, x.max(axis=0) + margin
    g1, g2 = np.meshgrid(np.linspace(lo[0], hi[0], resolution), np.linspace(lo[1], hi[1], resolution))
    out = np.asarray(predict(np.stack([g1.ravel(), g2.ravel()], axis=1))).reshape(g1.shape)
    n_classes = int(max(y.max(), out.max() if np.issubdtype(out.dtype, np.integer) else 1)) + 1
    colors = CLASS_COLORS[:n_classes]
    if np.issubdtype(out.dtype, np.integer) or out.dtype == bool:
        ax.contourf(g1, g2, out, levels=np.arange(n_classes + 1) - 0.5, colors=colors, alpha=0.25)
    else:
        ax.contourf(g1, g2, out, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.35, vmin=0, vmax=1)
        ax.contour(g1, g2, out, levels=[0.5], colors="k", linewidths=1.5)
    for k in range(n_classes):
        ax.scatter(*x[y == k].T, s=18, color=colors[k], edgecolor="k", linewidth=0.4, label=f"class {k}")
    ax.set(xlim=(lo[0], hi[0]), ylim=(lo[1], hi[1]), xlabel="$x_1$", ylabel="$x_2$", title=title)
    return ax


def curves(history, *, axes=None, label=None):
    """Loss per epoch (left) and every accuracy-like entry of `history` (right), from train.fit.

    Call it again with the same `axes` and another `label` to compare runs. Returns the two Axes."""
    if "epoch" not in history or "loss" not in history:
        raise ValueError(f"curves: history must have 'epoch' and 'loss' lists (from train.fit), "
                         f"got keys {sorted(history)}")
    if axes is None:
        axes = plt.subplots(1, 2, figsize=(9, 3.2))[1]
    epochs = history["epoch"]
    prefix = f"{label} " if label else ""
    axes[0].plot(epochs, history["loss"], label=f"{prefix}loss")
    axes[0].set(xlabel="epoch", ylabel="training loss", yscale="log")
    for key in (k for k in history if "acc" in k):
        axes[1].plot(epochs, history[key], label=f"{prefix}{key}")
    axes[1].set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02))
    for ax in axes:
        ax.grid(alpha=0.3)
        if ax.lines:
            ax.legend()
    return axes


def confusion_matrix(labels, predictions, *, num_classes=None, ax=None, class_names=None, title=None):
    """The confusion matrix as a heat map with the count in every cell: row = true class, column =
    predicted class, so the diagonal holds the correct answers (train.confusion_matrix computes it).

    labels, predictions: (N,) integers in [0, K); K = num_classes, or 1 + the largest value seen.
    class_names: K tick labels (default 0 … K−1). Returns the Axes.
    """
    from course_lib import train  # presentation imports the core, never the other way round

    labels, predictions = np.asarray(labels), np.asarray(predictions)
    if num_classes is None:
        num_classes = int(max(labels.max(initial=0), predictions.max(initial=0))) + 1
    counts = np.asarray(train.confusion_matrix(labels, predictions, num_classes))
    names = [str(k) for k in range(num_classes)] if class_names is None else [str(c) for c in class_names]
    if len(names) != num_classes:
        raise ValueError(f"confusion_matrix: class_names must have {num_classes} entries, got {len(names)}")
    ax = ax or plt.subplots(figsize=(4.6, 4))[1]
    ax.imshow(counts, cmap="Blues", vmin=0)
    for (i, j), value in np.ndenumerate(counts):
        if value:
            dark = value > 0.6 * counts.max()
            ax.text(j, i, str(value), ha="center", va="center", fontsize=8,
                    color="white" if dark else ("black" if i == j else "#d62728"))
    ticks = np.arange(num_classes)
    ax.set(xticks=ticks, yticks=ticks, xticklabels=names, yticklabels=names, xlabel="predicted class",
           ylabel="true class", title=title if title is not None
           else f"confusion matrix ({int(np.trace(counts))} of {int(counts.sum())} right)")
    return ax


def image_grid(images, *, titles=None, ncols=8, cmap="gray_r", fig=None, size=1.1):
    """Small grey images in a grid, e.g. the 8×8 digits, with an optional title over each.

    images: (N, H, W), (N, H, W, 1), or (N, D) with D a square number (rows of data.digits(), D = 64).
    titles: N strings or None. Draws on `fig` (a new Figure when None) and returns the Figure.
    """
    images = np.asarray(images, dtype=float)
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    elif images.ndim == 2:
        side = int(round(np.sqrt(images.shape[1])))
        if side * side != images.shape[1]:
            raise ValueError(f"image_grid: rows of length {images.shape[1]} are not square images")
        images = images.reshape(len(images), side, side)
    if images.ndim != 3 or len(images) == 0:
        raise ValueError(f"image_grid: images must have shape (N, H, W), (N, H, W, 1) or (N, H·W) with N > 0, "
                         f"got {images.shape}")
    if titles is not None and len(titles) != len(images):
        raise ValueError(f"image_grid: titles must have one entry per image ({len(images)}), got {len(titles)}")
    ncols = min(int(ncols), len(images))
    nrows = -(-len(images) // ncols)
    fig = fig or plt.figure(figsize=(size * ncols, (size + (0.3 if titles is not None else 0)) * nrows))
    axes = np.atleast_1d(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for k, ax in enumerate(axes):
        ax.axis("off")
        if k < len(images):
            ax.imshow(images[k], cmap=cmap, vmin=0, vmax=max(1.0, float(images.max())))
            if titles is not None:
                ax.set_title(titles[k], fontsize=8)
    return fig


# ---- lecture 7: optimizer trajectories on 2-D loss surfaces -----------------------------------------------

class Surface(NamedTuple):
    """A 2-D loss surface f(w) with w = (w₁, w₂); f uses only w[0], w[1] and arithmetic, so it takes a
    point (2,), a grid (2, H, W), NumPy or JAX (jax.grad works on it)."""
    name: str
    f: Callable             # w -> loss
    formula: str            # f in LaTeX, for titles
    start: tuple            # the starting point (w₁, w₂) the lecture uses
    xlim: tuple             # plotting window in w₁
    ylim: tuple             # plotting window in w₂
    minima: tuple           # the minimisers ((w₁, w₂), …), marked with a star
    levels: tuple           # contour levels of f
    steps: int              # the number of steps the lecture runs on it


SURFACES = {
    "ravine": Surface("ravine", lambda w: 0.01 * w[0] ** 2 + w[1] ** 2,
                      r"$0.01\,w_1^2 + w_2^2$", (-9.0, 1.5), (-10.0, 2.0), (-2.2, 2.2), ((0.0, 0.0),),
                      tuple(np.round(np.linspace(0, 5, 21)[1:] ** 2 / 5, 3)), 80),
    "rosenbrock": Surface("rosenbrock", lambda w: (1 - w[0]) ** 2 + 100 * (w[1] - w[0] ** 2) ** 2,
                          r"$(1 - w_1)^2 + 100\,(w_2 - w_1^2)^2$", (-1.2, 1.0), (-2.0, 2.0), (-1.0, 3.0),
                          ((1.0, 1.0),), tuple(np.round(np.logspace(-1, 3, 13), 3)), 1000),
    "saddle": Surface("saddle", lambda w: w[0] ** 2 + 0.25 * w[1] ** 4 - 0.5 * w[1] ** 2,
                      r"$w_1^2 + \frac{1}{4} w_2^4 - \frac{1}{2} w_2^2$", (-2.0, 1e-3), (-2.5, 2.5), (-1.6, 1.6),
                      ((0.0, 1.0), (0.0, -1.0)), tuple(np.round(np.linspace(-0.24, 6, 23), 3)), 60),
}

OPTIMIZER_COLORS = {"sgd": "#222222", "momentum": "#1f77b4", "nesterov": "#17becf", "adagrad": "#2ca02c",
                    "adadelta": "#bcbd22", "rmsprop": "#ff7f0e", "adam": "#d62728"}


def contour_paths(surface, paths, *, ax=None, title=None, legend=True, resolution=200):
    """Contour lines of a Surface with optimizer paths on top.

    surface: a Surface (or a key of SURFACES); paths: {label: (T + 1, 2) array of iterates w_0 … w_T}.
    The start is a white circle, each path's end a dot, the minima stars. Paths that leave the window
    are clipped by it. Returns the Axes."""
    surface = SURFACES[surface] if isinstance(surface, str) else surface
    ax = ax or plt.subplots(figsize=(5, 4))[1]
    g1, g2 = np.meshgrid(np.linspace(*surface.xlim, resolution), np.linspace(*surface.ylim, resolution))
    z = np.asarray(surface.f(np.stack([g1, g2])))
    ax.contour(g1, g2, z, levels=surface.levels, cmap="Greys_r", linewidths=0.7, alpha=0.7)
    for k, (label, path) in enumerate(paths.items()):
        path = np.asarray(path, dtype=np.float64)
        if path.ndim != 2 or path.shape[1] != 2:
            raise ValueError(f"contour_paths: each path must have shape (T + 1, 2), got {path.shape} for {label!r}")
        color = OPTIMIZER_COLORS.get(str(label).split()[0], CLASS_COLORS[k % len(CLASS_COLORS)])
        ax.plot(path[:, 0], path[:, 1], "-", color=color, lw=1.4, marker=".", ms=2.5, label=label)
        ax.plot(*path[-1], "o", color=color, ms=5, mec="w", mew=0.8)
    ax.plot(*surface.start, "o", color="w", mec="k", ms=7, zorder=5)
    for m in surface.minima:
        ax.plot(*m, "*", color="gold", mec="k", ms=12, zorder=5)
    ax.set(xlim=surface.xlim, ylim=surface.ylim, xlabel="$w_1$", ylabel="$w_2$",
           title=title if title is not None else f"{surface.name}: {surface.formula}")
    if legend and paths:
        ax.legend(fontsize=7, loc="best")
    return ax
