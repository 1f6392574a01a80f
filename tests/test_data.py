"""course_lib.data: truth tables against Python's operators, the shipped iris and digits against their
documented facts (UCI / scikit-learn descriptions) and the raw files, spirals against a math loop."""
import math
import operator
from importlib import resources

import jax
import numpy as np
import pytest

from course_lib import data

# Each gate written with Python's own boolean operators, independently of data.LOGIC_OPS.
GATES = {
    "and": lambda a, b: a and b,
    "or": lambda a, b: a or b,
    "nand": lambda a, b: not (a and b),
    "nor": lambda a, b: not (a or b),
    "xor": operator.xor,
    "and_not": lambda a, b: a and not b,
}
CORNERS = [(0, 0), (0, 1), (1, 0), (1, 1)]


# ---- xor, logic --------------------------------------------------------------------------------------

@pytest.mark.parametrize("op", sorted(GATES))
def test_logic_truth_table_matches_python_operators(op):
    x, y = data.logic(op)
    assert x.shape == (4, 2) and y.shape == (4,)
    assert x.dtype == np.float32 and y.dtype == np.int32
    assert [tuple(int(v) for v in row) for row in np.asarray(x)] == CORNERS
    assert np.asarray(y).tolist() == [int(bool(GATES[op](bool(a), bool(b)))) for a, b in CORNERS]


def test_logic_offers_exactly_the_documented_gates():
    assert set(data.LOGIC_OPS) == set(GATES)


def test_xor_is_one_exactly_when_inputs_differ():
    x, y = data.xor()
    assert np.asarray(y).tolist() == [int(a != b) for a, b in np.asarray(x).astype(int).tolist()]
    assert np.asarray(y).tolist() == [0, 1, 1, 0]


@pytest.mark.parametrize("op", ["xnor", "AND", "", None])
def test_logic_rejects_unknown_gate(op):
    with pytest.raises(ValueError, match=rf"^logic: op must be one of \['and', 'and_not', 'nand', 'nor', 'or', "
                                         rf"'xor'\], got {op!r}"):
        data.logic(op)


# ---- iris ---------------------------------------------------------------------------------------------

def test_iris_shapes_and_dtypes():
    x, y = data.iris()
    assert x.shape == (150, 4) and y.shape == (150,)
    assert x.dtype == np.float32 and y.dtype == np.int32
    assert len(data.IRIS_FEATURES) == x.shape[1]
    assert len(data.IRIS_CLASSES) == 3


def test_iris_has_fifty_flowers_of_each_class_in_order():
    y = np.asarray(data.iris().y)
    assert np.bincount(y).tolist() == [50, 50, 50]
    assert y.tolist() == [0] * 50 + [1] * 50 + [2] * 50  # the original order, setosa first


def test_iris_first_and_last_rows():
    x = np.asarray(data.iris().x)
    np.testing.assert_allclose(x[0], [5.1, 3.5, 1.4, 0.2], rtol=1e-6)
    np.testing.assert_allclose(x[-1], [5.9, 3.0, 5.1, 1.8], rtol=1e-6)


def test_iris_summary_statistics_match_the_dataset_description():
    # min, max, mean and SD per feature, as the UCI / scikit-learn description lists them (2 decimals)
    x = np.asarray(data.iris().x, np.float64)
    np.testing.assert_allclose(x.min(0), [4.3, 2.0, 1.0, 0.1], atol=1e-6)
    np.testing.assert_allclose(x.max(0), [7.9, 4.4, 6.9, 2.5], atol=1e-6)
    np.testing.assert_allclose(x.mean(0), [5.84, 3.05, 3.76, 1.20], atol=0.01)
    np.testing.assert_allclose(x.std(0, ddof=1), [0.83, 0.43, 1.76, 0.76], atol=0.01)


# ---- digits -------------------------------------------------------------------------------------------

DIGIT_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


@pytest.fixture(scope="module")
def digits():
    return data.digits()


def test_digits_flat_shapes_and_dtypes(digits):
    assert digits.x_train.shape == (1437, 64) and digits.y_train.shape == (1437,)
    assert digits.x_test.shape == (360, 64) and digits.y_test.shape == (360,)
    assert digits.x_train.dtype == np.float32 and digits.y_train.dtype == np.int32
    assert digits.x_test.dtype == np.float32 and digits.y_test.dtype == np.int32


def test_digits_images_are_channel_last_and_match_flat(digits):
    images = data.digits(images=True)
    assert images.x_train.shape == (1437, 8, 8, 1) and images.x_test.shape == (360, 8, 8, 1)
    np.testing.assert_array_equal(np.asarray(images.x_train).reshape(1437, 64), np.asarray(digits.x_train))
    np.testing.assert_array_equal(np.asarray(images.y_test), np.asarray(digits.y_test))


def test_digits_values_are_sixteenths_in_zero_one(digits):
    x = np.concatenate([np.asarray(digits.x_train), np.asarray(digits.x_test)])
    assert x.min() == 0.0 and x.max() == 1.0
    np.testing.assert_array_equal(x * 16, np.round(x * 16))  # the raw pixels are integers 0–16


def test_digits_class_counts_sum_to_the_documented_totals(digits):
    y = np.concatenate([np.asarray(digits.y_train), np.asarray(digits.y_test)])
    assert len(y) == 1797
    assert np.bincount(y, minlength=10).tolist() == DIGIT_COUNTS


def test_digits_split_is_a_partition_of_the_shipped_file(digits):
    # train ∪ test holds every (image, label) of the raw file exactly once: disjoint and complete
    with np.load(resources.files("course_lib") / "data" / "digits.npz") as f:
        raw = np.concatenate([f["images"].reshape(-1, 64) / 16.0, f["labels"][:, None]], axis=1)
    split = np.concatenate([np.concatenate([np.asarray(digits.x_train), np.asarray(digits.y_train)[:, None]], 1),
                            np.concatenate([np.asarray(digits.x_test), np.asarray(digits.y_test)[:, None]], 1)])
    assert split.shape == raw.shape
    np.testing.assert_allclose(np.unique(split, axis=0), np.unique(raw, axis=0), atol=1e-7)
    np.testing.assert_allclose(split[np.lexsort(split.T[::-1])], raw[np.lexsort(raw.T[::-1])], atol=1e-7)


def test_digits_split_is_shuffled(digits):
    # "test_size random examples": neither end of the file in its own order, and every digit present
    with np.load(resources.files("course_lib") / "data" / "digits.npz") as f:
        raw = f["images"].reshape(-1, 64) / 16.0
    x_test, x_train = np.asarray(digits.x_test), np.asarray(digits.x_train)
    for start, stop in [(0, 360), (-360, None)]:
        assert not np.allclose(x_test, raw[start:stop])
    assert not np.allclose(x_train, raw[360:]) and not np.allclose(x_train, raw[:-360])
    assert np.all(np.bincount(np.asarray(digits.y_test), minlength=10) > 10)


def test_digits_split_is_deterministic(digits):
    again = data.digits()
    for a, b in zip(digits, again):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("test_size", [1, 100, 1796])
def test_digits_test_size_sets_the_split_sizes(test_size):
    split = data.digits(test_size=test_size)
    assert split.x_test.shape == (test_size, 64) and split.y_test.shape == (test_size,)
    assert split.x_train.shape == (1797 - test_size, 64)


@pytest.mark.parametrize("test_size", [0, 1797, -5, 2.5, "100", None])
def test_digits_rejects_bad_test_size(test_size):
    with pytest.raises(ValueError, match=rf"^digits: test_size must be an integer in \(0, 1797\), got {test_size!r}"):
        data.digits(test_size=test_size)


# ---- spirals ------------------------------------------------------------------------------------------

def _spirals_reference(n, classes, turns):
    """Point i of arm k at radius i/n and angle 2π·turns·(i/n) + 2πk/classes, without noise."""
    points, labels = [], []
    for k in range(classes):
        for i in range(n):
            r = i / n
            theta = 2 * math.pi * turns * r + 2 * math.pi * k / classes
            points.append((r * math.cos(theta), r * math.sin(theta)))
            labels.append(k)
    return np.array(points), np.array(labels)


@pytest.mark.parametrize("n, classes", [(20, 2), (30, 3)])
def test_spirals_shapes_dtypes_and_labels(n, classes):
    x, y = data.spirals(jax.random.PRNGKey(0), n, classes)
    assert x.shape == (n * classes, 2) and y.shape == (n * classes,)
    assert x.dtype == np.float32 and y.dtype == np.int32
    assert np.bincount(np.asarray(y)).tolist() == [n] * classes


@pytest.mark.parametrize("n, classes, turns", [(20, 2, 1.0), (30, 3, 1.5), (30, 3, 0.25)])
def test_spirals_without_noise_match_the_formula(n, classes, turns):
    x, y = data.spirals(jax.random.PRNGKey(0), n, classes, turns=turns, noise=0.0)
    expected_x, expected_y = _spirals_reference(n, classes, turns)
    np.testing.assert_allclose(np.asarray(x), expected_x, atol=1e-5)  # float32 angles up to ~4π
    np.testing.assert_array_equal(np.asarray(y), expected_y)


def test_spirals_radius_range_without_noise():
    n = 30
    x, _ = data.spirals(jax.random.PRNGKey(0), n, 3, noise=0.0)
    r = np.hypot(*np.asarray(x, np.float64).T)
    assert r.min() >= 0.0 and r.max() < 1.0
    np.testing.assert_allclose(np.sort(r)[::3], np.arange(n) / n, atol=1e-6)


def test_spirals_noise_has_the_stated_standard_deviation():
    n, classes, noise = 30, 3, 0.1
    clean, _ = _spirals_reference(n, classes, 1.0)
    residual = np.concatenate([(np.asarray(data.spirals(jax.random.PRNGKey(k), n, classes, noise=noise).x,
                                           np.float64) - clean).ravel() for k in range(10)])
    assert abs(residual.mean()) < 5 * noise / math.sqrt(residual.size)
    assert residual.std() == pytest.approx(noise, rel=5 * math.sqrt(2 / residual.size))


def test_spirals_deterministic_by_key():
    a = data.spirals(jax.random.PRNGKey(4), 20)
    b = data.spirals(jax.random.PRNGKey(4), 20)
    c = data.spirals(jax.random.PRNGKey(5), 20)
    np.testing.assert_array_equal(np.asarray(a.x), np.asarray(b.x))
    assert not np.allclose(np.asarray(a.x), np.asarray(c.x))
    np.testing.assert_array_equal(np.asarray(a.y), np.asarray(c.y))


@pytest.mark.parametrize("kwargs, match", [
    ({"n": 0}, r"^spirals: n must be a positive integer, got 0"),
    ({"n": 2.5}, r"^spirals: n must be a positive integer, got 2.5"),
    ({"n": 5, "classes": 1}, r"^spirals: classes must be at least 2, got 1"),
    ({"n": 5, "classes": 0}, r"^spirals: classes must be a positive integer, got 0"),
    ({"n": 5, "noise": -0.1}, r"^spirals: noise must be non-negative, got -0.1"),
])
def test_spirals_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        data.spirals(jax.random.PRNGKey(0), **kwargs)


# ---- sequence tasks (lecture 6) ------------------------------------------------------------------------

def test_adding_problem_marks_one_step_in_each_half_and_sums_them():
    n, T = 50, 9
    x, y = (np.asarray(a) for a in data.adding_problem(jax.random.PRNGKey(0), n, T))
    assert x.shape == (n, T, 2) and y.shape == (n,) and x.dtype == np.float32
    assert np.all((x[..., 0] >= 0) & (x[..., 0] < 1))
    for seq, target in zip(x, y):
        marked = [t for t in range(T) if seq[t, 1] == 1.0]
        assert len(marked) == 2 and marked[0] < T // 2 <= marked[1]
        assert set(np.unique(seq[:, 1])) <= {0.0, 1.0}
        assert math.isclose(target, seq[marked[0], 0] + seq[marked[1], 0], rel_tol=1e-6)


def test_adding_problem_baseline_error_of_answering_one_is_one_sixth():
    _, y = data.adding_problem(jax.random.PRNGKey(1), 20000, 10)
    assert abs(float(np.mean((np.asarray(y) - 1.0) ** 2)) - 1 / 6) < 0.01


@pytest.mark.parametrize("delay, length", [(0, None), (3, None), (4, 10)])
@pytest.mark.parametrize("distractors", [True, False])
def test_delayed_recall_shows_the_target_with_the_cue_delay_steps_before_the_end(delay, length, distractors):
    n, symbols = 40, 3
    x, y = (np.asarray(a) for a in data.delayed_recall(jax.random.PRNGKey(2), n, delay, symbols=symbols,
                                                       length=length, distractors=distractors))
    T = delay + 1 if length is None else length
    assert x.shape == (n, T, symbols + 1) and y.dtype == np.int32
    cue_step = T - 1 - delay
    for seq, target in zip(x, y):
        assert [t for t in range(T) if seq[t, symbols] == 1] == [cue_step]
        assert np.argmax(seq[cue_step, :symbols]) == target and seq[cue_step, :symbols].sum() == 1
        others = np.delete(seq[:, :symbols], cue_step, axis=0)
        expected_ones = 1 if distractors else 0
        assert np.all(others.sum(axis=1) == expected_ones)
    assert set(np.unique(y)) == set(range(symbols))


def test_sequence_tasks_reject_bad_arguments():
    key = jax.random.PRNGKey(0)
    with pytest.raises(ValueError, match=r"adding_problem: T must be at least 2"):
        data.adding_problem(key, 4, 1)
    with pytest.raises(ValueError, match=r"delayed_recall: length must be at least delay \+ 1 = 6, got 5"):
        data.delayed_recall(key, 4, 5, length=5)
    with pytest.raises(ValueError, match=r"delayed_recall: delay must be an integer ≥ 0, got -1"):
        data.delayed_recall(key, 4, -1)
    with pytest.raises(ValueError, match=r"weather: persistence must be in \[0, 1\), got 1.0"):
        data.weather(key, 10, persistence=1.0)
    with pytest.raises(ValueError, match=r"windows: length must be smaller than the series \(5 values\), got 5"):
        data.windows(np.arange(5.0), 5)


def test_weather_has_the_documented_season_and_day_to_day_persistence():
    days, period, mean, amplitude, noise, phi = 40000, 365.0, 12.0, 10.0, 3.0, 0.8
    raw = data.weather(jax.random.PRNGKey(3), days, period=period, mean=mean, amplitude=amplitude,
                       noise=noise, persistence=phi)
    assert raw.shape == (days,) and raw.dtype == np.float32
    series = np.asarray(raw, float)
    anomaly = series - mean - amplitude * np.sin(2 * np.pi * np.arange(days) / period)
    assert abs(anomaly.mean()) < 0.15
    assert abs(anomaly.std() - noise) < 0.1
    assert abs(np.corrcoef(anomaly[:-1], anomaly[1:])[0, 1] - phi) < 0.02
    fresh = anomaly[1:] - phi * anomaly[:-1]              # the forecast error no model can remove
    assert abs(fresh.std() - noise * math.sqrt(1 - phi ** 2)) < 0.05


def test_windows_cuts_the_series_like_a_loop():
    series = np.arange(10.0)
    x, y = (np.asarray(a) for a in data.windows(series, 3))
    assert x.shape == (7, 3, 1) and y.shape == (7,)
    for i in range(7):
        np.testing.assert_array_equal(x[i, :, 0], series[i:i + 3])
        assert y[i] == series[i + 3]
