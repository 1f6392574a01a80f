"""Checks for exercise 4, convolution (solutions/04_convolution.ipynb): one function per question.

    check.convolve1d(fn)     check.correlate2d(fn)     check.convolve2d(fn)     check.zero_pad(fn)
    check.output_size(fn)    check.conv2d(fn)          check.param_counts(fn)

Each runs the lecture's worked examples (seeds 000, 001, 002), then `n_random` random cases, against
course_lib.conv. A failure raises AssertionError with the case, the expected and the received value and
a hint; a known mistake (a kernel that is not flipped or flipped when it should not be, a missing floor,
a forgotten bias or stride) gets a hint that names it. Success prints one line that depends on n_random
only, never on the seed.

seed fixes the random cases of the visible checks; seed=None (the hidden tests) draws fresh cases.
Random arrays hold small integers (as floats), so every correct implementation gives exactly the same
sums and the messages stay readable; random shapes come from a few fixed choices (the values change, the
shapes do not), because JAX compiles each operation once per shape and a new shape per case would make
every check take many seconds.
"""
import math
import numbers

import jax.numpy as jnp
import numpy as np

from course_lib import conv as _conv
from course_lib.checks._core import Case, assert_close, call, cases_rng, show

__all__ = ["convolve1d", "correlate2d", "convolve2d", "zero_pad", "output_size", "conv2d", "param_counts"]

_HINTS = {
    "convolve1d": "(f ∗ g)[n] = Σ_m f[n − m]·g[m] for every n where the two overlap: with f of length L and "
                  "g of length K the result has L + K − 1 values, and index 0 holds f[0]·g[0].",
    "correlate2d": "out[i, j] = Σ_m Σ_n f[i + m, j + n]·g[m, n], for the (H − KH + 1) × (W − KW + 1) positions "
                   "where g lies entirely inside f; g is NOT flipped.",
    "convolve2d": "convolution is cross-correlation with g turned by 180°: flip it left–right AND up–down "
                  "(g[::-1, ::-1]), then correlate; the output shape is (H − KH + 1, W − KW + 1).",
    "zero_pad": "add p rows of zeros at the top AND at the bottom, and p columns at the left AND at the right: "
                "an (H, W) image becomes (H + 2p, W + 2p), with the image in the middle (jnp.pad can do it).",
    "output_size": "⌊(n + 2·padding − k) / stride⌋ + 1, an int: windows that do not fit entirely are dropped, "
                   "so round DOWN (integer division //).",
    "conv2d": "pad x by `padding` zeros on each side of H and W (not N or C); output cell (n, i, j, o) is "
              "b[o] + Σ over the window's KH × KW × C_in numbers x_pad[n, i·stride + m, j·stride + l, c]·w[m, l, c, o] "
              "(cross-correlation: w is not flipped); the output is (N, H_out, W_out, C_out).",
    "param_counts": "conv layer: one KH × KW × C_in kernel and one bias per output channel; dense layer: one weight "
                    "per (input number, output number) pair plus one bias per output number, where the output "
                    "has (H − F + 1)·(W − F + 1)·C_out numbers.",
}

# Known mistakes: (what the mistaken answer computes, the hint that names it).
_MISTAKES = {
    "convolve1d": [
        (lambda f, g: _conv.correlate1d(f, g, "full"),
         "this is cross-correlation: convolution flips g, (f ∗ g)[n] = Σ_m f[n − m]·g[m] (the index of f runs "
         "backwards while the index of g runs forwards)."),
    ],
    "correlate2d": [
        (lambda f, g: _conv.convolve2d(f, g, "valid"),
         "you flipped the kernel: that is convolution. Cross-correlation uses g as it is: "
         "out[i, j] = Σ f[i + m, j + n]·g[m, n]."),
        (lambda f, g: _conv.correlate2d(f, g.T, "valid") if g.shape[0] == g.shape[1] else None,
         "g's first index is the row offset: out[i, j] = Σ f[i + m, j + n]·g[m, n], with m moving down the "
         "rows and n along the columns (your answer uses g transposed)."),
    ],
    "convolve2d": [
        (lambda f, g: _conv.correlate2d(f, g, "valid"),
         "the kernel was not flipped: this is cross-correlation. Convolution uses g[::-1, ::-1]."),
        (lambda f, g: _conv.correlate2d(f, g[:, ::-1], "valid"),
         "the kernel was flipped left–right only: convolution flips it up–down too, g[::-1, ::-1]."),
        (lambda f, g: _conv.correlate2d(f, g[::-1, :], "valid"),
         "the kernel was flipped up–down only: convolution flips it left–right too, g[::-1, ::-1]."),
        (lambda f, g: _conv.correlate2d(f, g.T, "valid"),
         "g.T transposes the kernel, which is not the same as turning it by 180°: use g[::-1, ::-1]."),
    ],
    "output_size": [
        (lambda n, k, p, s: (n + 2 * p - k) / s + 1,
         "you used true division /, which returns a float (2.5 for seed 001's stride-2 example): windows that "
         "do not fit are dropped, so use integer division, (n + 2·padding − k) // stride + 1."),
        (lambda n, k, p, s: math.ceil((n + 2 * p - k) / s) + 1,
         "you rounded up: a window that does not fit entirely is not computed, so round DOWN, "
         "(n + 2·padding − k) // stride + 1."),
        (lambda n, k, p, s: (n + p - k) // s + 1,
         "padding adds zeros on BOTH sides: the padded size is n + 2·padding."),
        (lambda n, k, p, s: (n + 2 * p - k) // s,
         "the + 1 is missing: the first window is at position 0, so there is one more position than steps."),
    ],
    "conv2d": [
        (lambda x, w, b, s, p: _conv.conv2d(x, w, None, stride=s, padding=p),
         "the bias b is missing: add b[o] to every output of channel o (b has shape (C_out,), so z + b "
         "broadcasts over N, H, W)."),
        (lambda x, w, b, s, p: _conv.conv2d(x, w[::-1, ::-1], b, stride=s, padding=p),
         "you flipped the kernel: the deep-learning layer is cross-correlation and uses w as it is."),
    ],
    "param_counts": [
        (lambda h, w, c, f, o: (f * f * c * o, _dense_params(h, w, c, f, o)),
         "the conv layer's biases are missing: one per output channel, f·f·c_in·c_out + c_out."),
        (lambda h, w, c, f, o: (f * f * o + o, _dense_params(h, w, c, f, o)),
         "a conv kernel spans ALL input channels: each of the c_out kernels has f·f·c_in weights."),
        (lambda h, w, c, f, o: (f * f * c * o + o, _dense_params(h, w, c, f, o) - (h - f + 1) * (w - f + 1) * o),
         "the dense layer's biases are missing: one per output number, (H − F + 1)·(W − F + 1)·c_out of them."),
    ],
}


def convolve1d(fn, *, seed=0, n_random=5):
    """Question 1: the full 1-D convolution of f (L,) and g (K,), shape (L + K − 1,)."""
    rng = cases_rng(seed)
    f, g = jnp.array([1.0, 9.0, 0.0, 5.0, 2.0, 4.0, 3.0]), jnp.array([-2.0, 0.0, 2.0])
    cases = [Case(f"convolve1d(f, g) with seed 000's f = {show(f)}, g = {show(g)} "
                  "(their (f ∗ g)[2] = -2 is index 6 of the result)", (f, g)),
             Case("convolve1d(f, g) with f = [1, 2, 3], g = [0, 1, 0.5] (a kernel that is not symmetric)",
                  (jnp.array([1.0, 2.0, 3.0]), jnp.array([0.0, 1.0, 0.5])))]
    for i in range(n_random):
        f, g = _ints(rng, (6,)), _ints(rng, (_choice(rng, (2, 3)),))
        cases.append(Case(f"convolve1d(f, g) with f = {show(f)}, g = {show(g)} (random case {i + 1})", (f, g)))
    count = _check("convolve1d", fn, lambda f, g: _conv.convolve1d(f, g, "full"), cases)
    print(f"ok: convolve1d passes {count} cases")


def correlate2d(fn, *, seed=0, n_random=5):
    """Question 2: 2-D cross-correlation in 'valid' mode, f (H, W), g (KH, KW) → (H − KH + 1, W − KW + 1)."""
    rng = cases_rng(seed)
    cases = [Case("correlate2d(f, g) with seed 001's 6×6 image and the kernel [[1, 0, -1]] * 3 "
                  "(the slide's stride-1 example)", (_SEED001_X, _SEED001_K)),
             Case("correlate2d(f, g) with seed 002's 5×5 binary image and the X kernel", (_SEED002_B, _SEED002_X)),
             Case("correlate2d(f, g) with f = 4×5 numbers 0..19 and g = [[1, 2], [3, 4]] (not symmetric)",
                  (jnp.arange(20.0).reshape(4, 5), jnp.array([[1.0, 2.0], [3.0, 4.0]])))]
    cases += _random_2d_cases("correlate2d", rng, n_random)
    count = _check("correlate2d", fn, lambda f, g: _conv.correlate2d(f, g, "valid"), cases)
    print(f"ok: correlate2d passes {count} cases")


def convolve2d(fn, *, seed=0, n_random=5):
    """Question 3: 2-D convolution in 'valid' mode (the kernel turned by 180°), same shapes as correlate2d."""
    rng = cases_rng(seed)
    cases = [Case("convolve2d(f, g) with seed 000's 6×6 image and kernel [[-1, 0, 1], [-2, 0, 2], [-3, 0, 3]] "
                  "((f ∗ g)[0][0] = -28 is out[2, 2])", (_SEED000_F, _SEED000_G)),
             Case("convolve2d(f, g) with f = 4×5 numbers 0..19 and g = [[1, 2], [3, 4]]",
                  (jnp.arange(20.0).reshape(4, 5), jnp.array([[1.0, 2.0], [3.0, 4.0]])))]
    cases += _random_2d_cases("convolve2d", rng, n_random)
    count = _check("convolve2d", fn, lambda f, g: _conv.convolve2d(f, g, "valid"), cases)
    print(f"ok: convolve2d passes {count} cases")


def zero_pad(fn, *, seed=0, n_random=5):
    """Question 4: zero_pad(image, p): an (H, W) image framed by p rows/columns of zeros, (H + 2p, W + 2p)."""
    rng = cases_rng(seed)
    cases = [Case("zero_pad(image, p) with seed 000's 6×6 image, p = 1", (_SEED000_F, 1)),
             Case("zero_pad(image, p) with image = [[1, 2, 3], [4, 5, 6]], p = 2",
                  (jnp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]), 2)),
             Case("zero_pad(image, p) with image = [[1, 2], [3, 4]], p = 0 (nothing to add)",
                  (jnp.array([[1.0, 2.0], [3.0, 4.0]]), 0))]
    for i in range(n_random):
        image, p = _ints(rng, (3, 4), low=1), _choice(rng, (1, 2))
        cases.append(Case(f"zero_pad(image, p) with image = {show(image)}, p = {p} (random case {i + 1})", (image, p)))
    count = _check("zero_pad", fn, lambda image, p: jnp.pad(image, p), cases)
    print(f"ok: zero_pad passes {count} cases")


def output_size(fn, *, seed=0, n_random=5):
    """Question 5: output_size(n, k, padding, stride) = ⌊(n + 2·padding − k) / stride⌋ + 1, an int."""
    rng = cases_rng(seed)
    worked = [((6, 3, 0, 1), "seed 001, stride 1"), ((6, 3, 0, 2), "seed 001, stride 2: (6 − 3)/2 + 1 = 2.5"),
              ((5, 3, 1, 1), "seed 002's sharpen example"), ((32, 5, 0, 1), "seed 001's 32×32 image, 5×5 filters"),
              ((227, 11, 0, 4), "AlexNet's first layer"), ((224, 11, 0, 4), "AlexNet with a 224 input: 54.25"),
              ((7, 3, 1, 2), "padding 1, stride 2")]
    cases = [Case(f"output_size(n={n}, k={k}, padding={p}, stride={s}) ({note})", (n, k, p, s))
             for (n, k, p, s), note in worked]
    for i in range(n_random):
        k, p, s = int(rng.integers(1, 8)), int(rng.integers(0, 4)), int(rng.integers(1, 5))
        n = int(rng.integers(max(1, k - 2 * p), 300))
        cases.append(Case(f"output_size(n={n}, k={k}, padding={p}, stride={s}) (random case {i + 1})", (n, k, p, s)))
    hint = _HINTS["output_size"]
    for case in cases:
        expected = _conv.conv_output_size(*case.args)
        received = call("output_size", fn, *case.args, case=case.description, hint=hint)
        if received is None:
            raise AssertionError(f"output_size on {case.description} returned None. Did you forget the `return` "
                                 f"statement?\nHint: {hint}")
        named = _named_mistake("output_size", case, received)
        if not _is_int(received):
            raise AssertionError(f"output_size on {case.description} returned {type(received).__name__} "
                                 f"{received!r:.40}; expected the int {expected}.\nHint: {named or hint}")
        if int(received) != expected:
            raise AssertionError(f"output_size on {case.description}: expected {expected}, got {int(received)}."
                                 f"\nHint: {named or hint}")
    print(f"ok: output_size passes {len(cases)} cases")


def conv2d(fn, *, seed=0, n_random=5):
    """Question 6: the layer, conv2d(x, w, b, stride, padding) with x (N, H, W, C_in), w (KH, KW, C_in, C_out),
    b (C_out,), int stride and padding → (N, H_out, W_out, C_out), compared with course_lib.conv.conv2d."""
    rng = cases_rng(seed)
    x001, k001 = _SEED001_X[None, :, :, None], _SEED001_K[:, :, None, None]
    cases = [Case("conv2d(x, w, b, stride=1, padding=0) with seed 001's 6×6 image and [[1, 0, -1]] * 3, b = [0]",
                  (x001, k001, jnp.zeros(1), 1, 0)),
             Case("conv2d(x, w, b, stride=2, padding=0) with seed 001's 6×6 image and [[1, 0, -1]] * 3, b = [0] "
                  "(the slide's stride-2 example)", (x001, k001, jnp.zeros(1), 2, 0)),
             Case("conv2d(x, w, b, stride=1, padding=1) with seed 002's 5×5 pixels and the sharpen kernel, "
                  "b = [0] (first value 320)",
                  (_SEED002_P[None, :, :, None], _SEED002_SHARPEN[:, :, None, None], jnp.zeros(1), 1, 1)),
             Case("conv2d(x, w, b, stride=1, padding=0) with seed 001's 6×6 image and the kernel [[1, 0, -1]] * 3, "
                  "b = [10] (a bias)", (x001, k001, jnp.array([10.0]), 1, 0))]
    for i in range(n_random):
        n, h, w_, c_in, c_out, k, s, p = _choice(rng, _CONV2D_LAYOUTS)
        x, w, b = _ints(rng, (n, h, w_, c_in)), _ints(rng, (k, k, c_in, c_out)), _ints(rng, (c_out,))
        cases.append(Case(f"conv2d(x, w, b, stride={s}, padding={p}) with x of shape {x.shape}, w of shape {w.shape}, "
                          f"b = {show(b)} (random case {i + 1})", (x, w, b, s, p)))
    count = _check("conv2d", fn, lambda x, w, b, s, p: _conv.conv2d(x, w, b, stride=s, padding=p), cases)
    print(f"ok: conv2d passes {count} cases")


def param_counts(fn, *, seed=0, n_random=5):
    """Question 7: param_counts(h, w, c_in, f, c_out) → (conv, dense): the parameters (weights and biases) of
    a conv layer with c_out kernels of f × f × c_in (stride 1, no padding) and of a dense layer with the
    same input (h·w·c_in numbers) and output ((h − f + 1)·(w − f + 1)·c_out numbers)."""
    rng = cases_rng(seed)
    cases = [Case("param_counts(h=32, w=32, c_in=3, f=5, c_out=6) (seed 001's layer: 32×32×3 → 28×28×6)",
                  (32, 32, 3, 5, 6)),
             Case("param_counts(h=6, w=6, c_in=1, f=3, c_out=1) (seed 001's 6×6 example)", (6, 6, 1, 3, 1)),
             Case("param_counts(h=8, w=6, c_in=2, f=1, c_out=4) (a 1×1 convolution)", (8, 6, 2, 1, 4))]
    for i in range(n_random):
        f = int(rng.integers(1, 6))
        h, w, c_in, c_out = int(rng.integers(f, 40)), int(rng.integers(f, 40)), int(rng.integers(1, 9)), int(rng.integers(1, 33))
        cases.append(Case(f"param_counts(h={h}, w={w}, c_in={c_in}, f={f}, c_out={c_out}) (random case {i + 1})",
                          (h, w, c_in, f, c_out)))
    count = _check("param_counts", fn, lambda *a: (_conv_params(*a), _dense_params(*a)), cases,
                   outputs=("conv", "dense"))
    print(f"ok: param_counts passes {count} cases")


# ---------------------------------------------------------------------------------------------- helpers

_SEED000_F = jnp.array([[1, 4, 5, 8, 2, 1], [0, 3, 1, 5, 7, 2], [1, 2, 1, 4, 7, 1],
                        [2, 2, 0, 3, 6, 2], [0, 1, 7, 3, 5, 3], [1, 3, 4, 1, 2, 4]], jnp.float32)
_SEED000_G = jnp.array([[-1, 0, 1], [-2, 0, 2], [-3, 0, 3]], jnp.float32)
_SEED001_X = jnp.array([[1, 2, 3, 1, 3, 5], [2, 2, 5, 4, 2, 5], [0, 6, 9, 6, 2, 2],
                        [2, 0, 1, 9, 4, 0], [5, 5, 4, 6, 7, 6], [6, 1, 3, 7, 1, 5]], jnp.float32)
_SEED001_K = jnp.array([[1, 0, -1]] * 3, jnp.float32)
_SEED002_B = jnp.array([[1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1], [0, 0, 1, 1, 0], [0, 1, 1, 0, 0]],
                       jnp.float32)
_SEED002_X = jnp.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]], jnp.float32)
_SEED002_P = jnp.array([[105, 102, 100, 97, 96], [103, 99, 103, 101, 102], [101, 98, 104, 102, 100],
                        [99, 101, 106, 104, 99], [104, 104, 104, 100, 98]], jnp.float32)
_SEED002_SHARPEN = jnp.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], jnp.float32)


# Random conv2d cases: (N, H, W, C_in, C_out, K, stride, padding), a few fixed layouts (one compilation each)
# covering stride 2, padding 1, several channels in and out, odd sizes and a stride that does not fit.
_CONV2D_LAYOUTS = ((2, 6, 6, 3, 4, 3, 1, 0), (2, 7, 7, 2, 4, 3, 2, 1), (1, 6, 5, 3, 2, 2, 2, 0))


def _conv_params(h, w, c_in, f, c_out):
    return f * f * c_in * c_out + c_out


def _dense_params(h, w, c_in, f, c_out):
    outputs = (h - f + 1) * (w - f + 1) * c_out
    return h * w * c_in * outputs + outputs


def _check(name, fn, reference, cases, *, outputs=None):
    """Compare fn with reference on every case; when a failing answer matches a known mistake, its hint
    replaces the general one. outputs names the parts of a tuple result, e.g. ("conv", "dense")."""
    hint = _HINTS[name]
    for case in cases:
        expected = reference(*case.args)  # before the student's call, whatever it does to its arguments
        received = call(name, fn, *case.args, case=case.description, hint=hint)
        try:
            _compare(name, case.description, received, expected, outputs, hint)
        except AssertionError:
            named = _named_mistake(name, case, received, outputs)
            if named:
                _compare(name, case.description, received, expected, outputs, named)
            raise
    return len(cases)


def _named_mistake(name, case, received, outputs=None):
    """The hint of the first known mistake that `received` reproduces on `case`, or None."""
    for mistake, why in _MISTAKES.get(name, ()):
        try:
            wrong = mistake(*case.args)
            if wrong is not None:
                _compare(name, case.description, received, wrong, outputs, "")
                return why
        except (AssertionError, ValueError, TypeError):
            continue
    return None


def _compare(name, case, received, expected, outputs, hint):
    # The inputs are small integers: every correct implementation gives the same sums up to float32 rounding.
    if outputs is None:
        assert_close(name, case, received, expected, rtol=1e-5, atol=1e-4, hint=hint)
        return
    if received is None:
        raise AssertionError(f"{name} on {case} returned None. Did you forget the `return` statement? It should "
                             f"return a tuple ({', '.join(outputs)}).\nHint: {hint}")
    if not isinstance(received, (tuple, list)) or len(received) != len(outputs):
        what = type(received).__name__ if not isinstance(received, (tuple, list)) else f"{len(received)} values"
        raise AssertionError(f"{name} on {case} returned {what}; expected a tuple ({', '.join(outputs)}) of "
                             f"{len(outputs)} numbers.\nHint: {hint}")
    for part, got, want in zip(outputs, received, expected):
        assert_close(f"{name}'s {part}", case, got, want, rtol=0, atol=0.5, hint=hint)


def _is_int(value):
    if isinstance(value, bool):
        return False
    if isinstance(value, numbers.Integral):
        return True
    return (hasattr(value, "dtype") and getattr(value, "shape", None) == ()
            and np.issubdtype(np.dtype(value.dtype), np.integer))


def _random_2d_cases(name, rng, n_random):
    cases = []
    for i in range(n_random):
        f = _ints(rng, (5, 6))
        g = _ints(rng, _choice(rng, ((2, 2), (3, 3), (2, 3))))
        cases.append(Case(f"{name}(f, g) with f = {show(f)}, g = {show(g)} (random case {i + 1})", (f, g)))
    return cases


def _ints(rng, shape, low=-4, high=4):
    """Random small integers as float32: sums of their products are exact in any order."""
    return jnp.asarray(rng.integers(low, high + 1, shape), jnp.float32)


def _choice(rng, options):
    return options[int(rng.integers(len(options)))]
