"""Figures the lectures reuse: decision boundaries of 2-D classifiers and training curves.

Each function draws on a given matplotlib Axes (or makes one) and returns the Axes or Figure, so a
notebook can combine them into subplots.
"""
import matplotlib.pyplot as plt
import numpy as np

__all__ = ["CLASS_COLORS", "decision_boundary", "curves"]

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
