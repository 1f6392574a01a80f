"""course_lib.plot: the figures get the expected artists (region fills, boundary contour, one scatter per
class at the data's coordinates, one line per curve, labels), drawn with the Agg backend."""
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.collections as mcollections  # noqa: E402
import matplotlib.colors as mcolors  # noqa: E402
import matplotlib.contour as mcontour  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from course_lib import plot  # noqa: E402

X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0], [0.5, 0.2], [0.2, 0.8]])
Y3 = np.array([0, 1, 1, 2, 0, 1])
Y2 = Y3 % 2


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def _contour_sets(ax):
    return [c for c in ax.collections if isinstance(c, mcontour.ContourSet)]


def _scatters(ax):
    return [c for c in ax.collections if isinstance(c, mcollections.PathCollection)]


def _three_regions(points):
    """Integer labels: 0 left, 1 top right, 2 bottom right."""
    return np.where(points[:, 0] < 0.5, 0, np.where(points[:, 1] > 0.5, 1, 2))


def _probability(points):
    return 1.0 / (1.0 + np.exp(-4.0 * (points[:, 0] + points[:, 1] - 1.0)))


# ---- decision_boundary -------------------------------------------------------------------------------------

def test_decision_boundary_with_labels_fills_regions_and_scatters_each_class():
    ax = plot.decision_boundary(_three_regions, X, Y3, resolution=25, title="three classes")
    (fill,) = _contour_sets(ax)
    assert fill.filled
    np.testing.assert_allclose(fill.levels, [-0.5, 0.5, 1.5, 2.5])  # one band per class label
    scatters = _scatters(ax)
    assert [s.get_label() for s in scatters] == ["class 0", "class 1", "class 2"]
    for k, s in enumerate(scatters):
        np.testing.assert_allclose(s.get_offsets(), X[Y3 == k])
        np.testing.assert_allclose(s.get_facecolors()[0], mcolors.to_rgba(plot.CLASS_COLORS[k]))
    assert ax.get_title() == "three classes"
    assert ax.get_xlabel() == "$x_1$" and ax.get_ylabel() == "$x_2$"


def test_decision_boundary_with_probabilities_shades_and_draws_the_half_contour():
    ax = plot.decision_boundary(_probability, X, Y2, resolution=25)
    fill, line = _contour_sets(ax)
    assert fill.filled and not line.filled
    np.testing.assert_allclose(fill.levels, np.linspace(0, 1, 11))
    np.testing.assert_allclose(line.levels, [0.5])
    assert [s.get_label() for s in _scatters(ax)] == ["class 0", "class 1"]


def test_decision_boundary_half_contour_lies_on_the_classifier_boundary():
    # P = 0.5 exactly where x1 + x2 = 1
    ax = plot.decision_boundary(_probability, X, Y2, resolution=60)
    _, line = _contour_sets(ax)
    vertices = np.concatenate([p.vertices for p in line.get_paths() if len(p.vertices)])
    np.testing.assert_allclose(vertices.sum(axis=1), 1.0, atol=0.02)


def test_decision_boundary_limits_are_data_range_plus_margin():
    ax = plot.decision_boundary(_three_regions, X, Y3, resolution=10, margin=0.25)
    np.testing.assert_allclose(ax.get_xlim(), (X[:, 0].min() - 0.25, X[:, 0].max() + 0.25))
    np.testing.assert_allclose(ax.get_ylim(), (X[:, 1].min() - 0.25, X[:, 1].max() + 0.25))


def test_decision_boundary_calls_predict_on_the_grid():
    calls = []

    def predict(points):
        calls.append(points.shape)
        return _three_regions(points)

    plot.decision_boundary(predict, X, Y3, resolution=17)
    assert calls == [(17 * 17, 2)]


def test_decision_boundary_draws_on_a_given_axes():
    fig, (left, right) = plt.subplots(1, 2)
    returned = plot.decision_boundary(_three_regions, X, Y3, ax=right, resolution=10)
    assert returned is right
    assert not left.collections
    assert len(_scatters(right)) == 3


def test_decision_boundary_accepts_boolean_predictions():
    ax = plot.decision_boundary(lambda p: p[:, 0] > 0.5, X, Y2, resolution=10)
    (fill,) = _contour_sets(ax)
    np.testing.assert_allclose(fill.levels, [-0.5, 0.5, 1.5])
    assert len(_scatters(ax)) == 2


@pytest.mark.parametrize("x", [np.zeros((5, 3)), np.zeros(5), np.zeros((2, 5, 2))])
def test_decision_boundary_rejects_x_not_n_by_2(x):
    with pytest.raises(ValueError, match=rf"^decision_boundary: x must have shape \(N, 2\), got \({x.shape[0]},"):
        plot.decision_boundary(_three_regions, x, np.zeros(len(x), int))


def test_decision_boundary_rejects_labels_of_wrong_length():
    with pytest.raises(ValueError, match=r"^decision_boundary: y must have shape \(N,\) = \(6,\), got \(5,\)"):
        plot.decision_boundary(_three_regions, X, Y3[:5])


# ---- curves --------------------------------------------------------------------------------------------

HISTORY = {"epoch": [1, 2, 3], "loss": [1.0, 0.5, 0.2], "train_acc": [0.5, 0.7, 0.9], "test_acc": [0.4, 0.6, 0.8]}


def test_curves_draws_loss_left_and_each_accuracy_right():
    left, right = plot.curves(HISTORY)
    assert [line.get_label() for line in left.lines] == ["loss"]
    assert sorted(line.get_label() for line in right.lines) == ["test_acc", "train_acc"]
    np.testing.assert_allclose(left.lines[0].get_xydata(), np.column_stack([HISTORY["epoch"], HISTORY["loss"]]))
    for line in right.lines:
        np.testing.assert_allclose(line.get_ydata(), HISTORY[line.get_label()])
    assert left.get_yscale() == "log"
    assert left.get_xlabel() == "epoch" and left.get_ylabel() == "training loss"
    assert right.get_ylabel() == "accuracy"
    assert right.get_ylim() == pytest.approx((0, 1.02))
    assert left.get_legend() is not None and right.get_legend() is not None


def test_curves_without_accuracy_leaves_the_right_axes_empty():
    left, right = plot.curves({"epoch": [1, 2], "loss": [0.3, 0.1]})
    assert len(left.lines) == 1 and len(right.lines) == 0
    assert right.get_legend() is None


def test_curves_again_on_the_same_axes_adds_labelled_runs():
    axes = plot.curves(HISTORY, label="sgd")
    again = plot.curves({"epoch": [1, 2, 3], "loss": [0.9, 0.3, 0.1], "test_acc": [0.5, 0.8, 0.95]},
                        axes=axes, label="adam")
    assert again is axes
    assert [line.get_label() for line in axes[0].lines] == ["sgd loss", "adam loss"]
    assert sorted(line.get_label() for line in axes[1].lines) == ["adam test_acc", "sgd test_acc", "sgd train_acc"]


def test_curves_ignores_entries_that_are_not_accuracies():
    left, right = plot.curves({**HISTORY, "test_loss": [1.2, 0.8, 0.6]})
    assert "test_loss" not in [line.get_label() for line in right.lines]


@pytest.mark.parametrize("history", [{"epoch": [1]}, {"loss": [1.0]}, {}])
def test_curves_rejects_history_without_epoch_and_loss(history):
    with pytest.raises(ValueError, match=rf"^curves: history must have 'epoch' and 'loss' lists \(from train.fit\), "
                                         rf"got keys {re.escape(str(sorted(history)))}"):
        plot.curves(history)


# ---- confusion_matrix and image_grid (lecture 3) ----------------------------------------------------------

def test_confusion_matrix_plot_writes_every_nonzero_count_in_its_cell():
    labels = np.array([0, 0, 1, 1, 1, 2])
    predictions = np.array([0, 1, 1, 1, 2, 2])
    ax = plot.confusion_matrix(labels, predictions)
    counts = np.zeros((3, 3), int)
    for t, p in zip(labels, predictions):
        counts[t, p] += 1
    (image,) = ax.images
    np.testing.assert_array_equal(np.asarray(image.get_array()), counts)
    texts = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text() for t in ax.texts}
    assert texts == {(int(i), int(j)): str(v) for (i, j), v in np.ndenumerate(counts) if v}
    assert ax.get_xlabel() == "predicted class" and ax.get_ylabel() == "true class"
    assert ax.get_title() == "confusion matrix (4 of 6 right)"


def test_confusion_matrix_plot_uses_num_classes_and_class_names():
    ax = plot.confusion_matrix([0, 1], [1, 1], num_classes=4, class_names="abcd", title="t")
    assert ax.images[0].get_array().shape == (4, 4)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c", "d"]
    with pytest.raises(ValueError, match=r"^confusion_matrix: class_names must have 4 entries, got 2"):
        plot.confusion_matrix([0, 1], [1, 1], num_classes=4, class_names=["a", "b"])


@pytest.mark.parametrize("shape", [(5, 64), (5, 8, 8), (5, 8, 8, 1)])
def test_image_grid_draws_each_image_once_with_its_title(shape):
    images = np.arange(np.prod(shape), dtype=float).reshape(shape) / np.prod(shape)
    fig = plot.image_grid(images, titles=[f"#{k}" for k in range(5)], ncols=3)
    axes = fig.axes
    assert len(axes) == 6                                    # 2 rows of 3, the last one empty
    drawn = [ax for ax in axes if ax.images]
    assert len(drawn) == 5
    for k, ax in enumerate(drawn):
        np.testing.assert_allclose(np.asarray(ax.images[0].get_array()), images[k].reshape(8, 8))
        assert ax.get_title() == f"#{k}"


def test_image_grid_rejects_non_square_rows_and_wrong_titles():
    with pytest.raises(ValueError, match=r"^image_grid: rows of length 10 are not square images"):
        plot.image_grid(np.zeros((2, 10)))
    with pytest.raises(ValueError, match=r"^image_grid: titles must have one entry per image \(2\), got 1"):
        plot.image_grid(np.zeros((2, 4, 4)), titles=["a"])


# ---- lecture 7: loss surfaces and optimizer paths ------------------------------------------------------

def test_surfaces_have_their_stated_minima_and_a_saddle_at_the_origin():
    import jax
    import jax.numpy as jnp

    for s in plot.SURFACES.values():
        for m in s.minima:
            grad = np.asarray(jax.grad(s.f)(jnp.array(m)))
            np.testing.assert_allclose(grad, 0.0, atol=1e-6)
            hessian = np.asarray(jax.hessian(s.f)(jnp.array(m)))
            assert np.all(np.linalg.eigvalsh(hessian) > 0), s.name
    saddle = plot.SURFACES["saddle"]
    np.testing.assert_allclose(np.linalg.eigvalsh(np.asarray(jax.hessian(saddle.f)(jnp.zeros(2)))), [-1.0, 2.0])
    np.testing.assert_allclose(np.linalg.eigvalsh(np.asarray(jax.hessian(plot.SURFACES["ravine"].f)(jnp.zeros(2)))),
                               [0.02, 2.0], rtol=1e-6)
    # f works on a grid (2, H, W) as on a point
    g = np.stack(np.meshgrid(np.linspace(-1, 1, 4), np.linspace(-1, 1, 3)))
    assert np.asarray(plot.SURFACES["rosenbrock"].f(g)).shape == (3, 4)


def test_contour_paths_draws_one_line_per_path_at_its_coordinates():
    paths = {"sgd η=0.1": np.array([[-9.0, 1.5], [-8.0, 1.0], [-7.0, 0.5]]), "adam": np.array([[-9.0, 1.5], [0.0, 0.0]])}
    ax = plot.contour_paths("ravine", paths)
    labelled = [line for line in ax.lines if not line.get_label().startswith("_")]
    assert [line.get_label() for line in labelled] == list(paths)
    np.testing.assert_allclose(labelled[0].get_xydata(), paths["sgd η=0.1"])
    assert mcolors.to_hex(labelled[1].get_color()) == plot.OPTIMIZER_COLORS["adam"]
    assert any(isinstance(c, mcontour.ContourSet) for c in ax.collections) or ax.collections
    assert ax.get_xlim() == (-10.0, 2.0)
    plt.close("all")


def test_contour_paths_rejects_a_path_of_the_wrong_shape():
    with pytest.raises(ValueError, match=r"^contour_paths: each path must have shape \(T \+ 1, 2\), got \(3,\) for 'x'"):
        plot.contour_paths("saddle", {"x": np.zeros(3)})
    plt.close("all")
