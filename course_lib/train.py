"""Mini-batch training: shuffled batches drawn with an explicit key, a jitted step, a per-epoch history.

    params, history = fit(key, loss_fn, params, sgd(0.1), x, y, epochs=20, batch_size=32,
                          evaluate=lambda p: {"test_acc": accuracy(mlp(p, x_test), y_test)})

`loss_fn(params, x_batch, y_batch)` returns the mean loss of a batch (a scalar). One epoch visits every
example exactly once, in a fresh random order; the last, smaller batch is kept, not dropped. The whole
epoch runs as one jitted function (lax.scan over the full batches, then one step on the remainder),
so Python is not in the inner loop.
"""
import functools
import hashlib
import types

import jax
import jax.numpy as jnp
import numpy as np

from course_lib import _validate, optim

__all__ = ["batches", "make_step", "fit", "accuracy", "confusion_matrix"]


def batches(key, n, batch_size):
    """Index arrays of one epoch: a random permutation of range(n) cut into batches of `batch_size`;
    the last batch holds the n mod batch_size leftovers when there are any.  → list of (B,) int arrays."""
    n = _validate.positive_int("batches", "n", n)
    batch_size = _validate.positive_int("batches", "batch_size", batch_size)
    perm = jax.random.permutation(key, n)
    return [perm[i:i + batch_size] for i in range(0, n, batch_size)]


def make_step(loss_fn, optimizer):
    """A jitted training step (params, opt_state, x, y) → (params, opt_state, loss):
    g = ∇_params loss_fn(params, x, y), then the optimizer's update, then apply_updates."""
    @jax.jit
    def step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optim.apply_updates(params, updates), opt_state, loss
    return step


def fit(key, loss_fn, params, optimizer, x, y, *, epochs, batch_size, evaluate=None, progress=True,
        shuffle=True, record_steps=False):
    """Train for `epochs` passes over (x, y) and return (params, history).

    x: (N, …) inputs, y: (N, …) targets, cut into shuffled mini-batches of `batch_size` along axis 0
    (a batch_size larger than N means one batch of all N examples).
    history: a dict of equal-length lists, "epoch" (1, 2, …), "loss" (the mean training loss over the
    epoch's batches, weighted by batch size) and every key of `evaluate(params)`, called after each epoch.
    progress: show a progress bar when running in a notebook (nothing is printed elsewhere).
    shuffle=False visits the examples in their stored order every epoch (to show why we shuffle).
    record_steps=True adds history["step_loss"]: the loss of every mini-batch at the moment its update
    was computed, all epochs in order (ceil(N / batch_size) values per epoch).
    """
    epochs = _validate.positive_int("fit", "epochs", epochs)
    batch_size = _validate.positive_int("fit", "batch_size", batch_size)
    x = _validate.array("fit", "x", x)
    y = _validate.array("fit", "y", y)
    if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
        raise ValueError(f"fit: x and y must have the same number of examples along axis 0, "
                         f"got x {tuple(x.shape)} and y {tuple(y.shape)}")
    n = x.shape[0]
    run_epoch = _epoch_function(loss_fn, optimizer, n, min(batch_size, n), bool(shuffle))
    opt_state = optimizer.init(params)
    history = {"epoch": [], "loss": []}
    bar = _ProgressBar.create(epochs) if progress else None
    losses, step_losses = [], []
    # a NumPy copy of the keys: iterating a JAX array would dispatch an indexing op per epoch
    for epoch, epoch_key in enumerate(np.asarray(jax.random.split(key, epochs)), start=1):
        params, opt_state, loss, steps = run_epoch(params, opt_state, x, y, epoch_key)
        losses.append(loss)
        step_losses.append(steps)
        history["epoch"].append(epoch)
        if evaluate is None and bar is None:
            continue  # nothing to show yet: the losses are read back once, after the last epoch
        metrics = {"loss": float(loss), **({k: float(v) for k, v in evaluate(params).items()} if evaluate else {})}
        for name, value in metrics.items():
            if name != "loss":
                history.setdefault(name, []).append(value)
        if bar:
            bar.show(epoch, metrics)
    history["loss"] = np.asarray(losses, dtype=np.float64).tolist()
    if record_steps:
        history["step_loss"] = np.concatenate([np.asarray(s, dtype=np.float64) for s in step_losses]).tolist()
    return params, history


def accuracy(logits, labels):
    """Fraction of rows whose largest logit is at the true label.  logits: (N, K), labels: (N,) ints."""
    logits = _validate.array("accuracy", "logits", logits)
    labels = _validate.array("accuracy", "labels", labels)
    _validate.ndim("accuracy", "logits", logits, 2, "(N, K)")
    if labels.shape != logits.shape[:1]:
        raise ValueError(f"accuracy: labels must have shape (N,) = {logits.shape[:1]} to match logits "
                         f"{tuple(logits.shape)}, got {tuple(labels.shape)}")
    return jnp.mean(jnp.argmax(logits, axis=-1) == labels)


def confusion_matrix(labels, predictions, num_classes):
    """Counts M (K, K) int32 with M[i, j] = how many examples of true class i were predicted as class j.

    labels, predictions: (N,) integers in [0, K), K = num_classes. The diagonal holds the correct answers,
    so trace(M) / N is the accuracy; row i sums to the number of examples of class i.
    """
    k = _validate.positive_int("confusion_matrix", "num_classes", num_classes)
    labels = _validate.array("confusion_matrix", "labels", labels)
    predictions = _validate.array("confusion_matrix", "predictions", predictions)
    for name, v in (("labels", labels), ("predictions", predictions)):
        _validate.ndim("confusion_matrix", name, v, 1, "(N,)")
        if not jnp.issubdtype(v.dtype, jnp.integer):
            raise ValueError(f"confusion_matrix: {name} must be integer classes, got dtype {v.dtype}")
        if v.size and (int(jnp.min(v)) < 0 or int(jnp.max(v)) >= k):
            raise ValueError(f"confusion_matrix: {name} must lie in [0, {k}), got values from "
                             f"{int(jnp.min(v))} to {int(jnp.max(v))}")
    if labels.shape != predictions.shape:
        raise ValueError(f"confusion_matrix: labels and predictions must have the same shape, "
                         f"got {tuple(labels.shape)} and {tuple(predictions.shape)}")
    return jnp.zeros((k, k), jnp.int32).at[labels, predictions].add(1)


def _epoch_function(loss_fn, optimizer, n, batch_size, shuffle):
    """One jitted epoch from an epoch key: the permutation, a scan over the full batches, then the remainder.

    Cached by what determines the compiled program (see _program_key), not by the identity of the
    objects: `fit(..., sgd(0.1), ...)` builds a new optimizer on every call, and a notebook cell that is
    run again builds a new loss function, yet both compile to the same program, and so share it."""
    key = (_program_key(loss_fn), _program_key(optimizer), n, batch_size, shuffle)
    run = _EPOCHS.get(key)
    if run is None:
        run = _EPOCHS[key] = _compile_epoch(loss_fn, optimizer, n, batch_size, shuffle)
        while len(_EPOCHS) > _EPOCHS_KEPT:
            del _EPOCHS[next(iter(_EPOCHS))]  # the oldest first
    return run


_EPOCHS = {}      # _program_key(loss_fn), _program_key(optimizer), n, batch_size, shuffle → jitted epoch
_EPOCHS_KEPT = 64


def _compile_epoch(loss_fn, optimizer, n, batch_size, shuffle):
    full, rest = divmod(n, batch_size)

    def step(carry, idx, x, y):
        params, opt_state = carry
        loss, grads = jax.value_and_grad(loss_fn)(params, x[idx], y[idx])
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return (optim.apply_updates(params, updates), opt_state), loss

    @jax.jit
    def run(params, opt_state, x, y, key):
        perm = jax.random.permutation(key, n) if shuffle else jnp.arange(n)
        idx = perm[:full * batch_size].reshape(full, batch_size)
        carry, losses = jax.lax.scan(lambda c, i: step(c, i, x, y), (params, opt_state), idx)
        total = jnp.sum(losses) * batch_size
        if rest:
            carry, last = step(carry, perm[full * batch_size:], x, y)
            total = total + last * rest
            losses = jnp.concatenate([losses, last[None]])
        return carry[0], carry[1], total / n, losses

    return run


def _program_key(obj, _seen=None):
    """A hashable value equal for two objects that trace to the same program.

    A function is its code, its defaults, the values it closes over and the globals it reads (functions
    among them followed the same way); numbers, strings and shapes are their values; arrays are their
    shape, dtype and bytes (a captured array is a constant of the program); modules and anything else
    are themselves, by identity. Two `sgd(0.1)` give equal keys, `sgd(0.1)` and `sgd(0.2)` do not."""
    _seen = {} if _seen is None else _seen  # id of each function met so far → the order it was met in
    if isinstance(obj, (bool, int, float, complex, str, bytes, type(None), type(Ellipsis))):
        return (type(obj).__name__, obj)
    if isinstance(obj, (np.ndarray, np.generic, jax.Array)):
        value = np.asarray(obj)
        return ("array", value.shape, value.dtype.str, hashlib.sha1(value.tobytes()).hexdigest())
    if isinstance(obj, (tuple, list)):
        return (type(obj).__name__, tuple(_program_key(v, _seen) for v in obj))
    if isinstance(obj, dict):
        return ("dict", tuple((_program_key(k, _seen), _program_key(v, _seen)) for k, v in obj.items()))
    if isinstance(obj, functools.partial):
        return ("partial", _program_key(obj.func, _seen), _program_key(obj.args, _seen),
                _program_key(obj.keywords, _seen))
    if isinstance(obj, types.MethodType):
        return ("method", _program_key(obj.__func__, _seen), _program_key(obj.__self__, _seen))
    wrapped = getattr(obj, "__wrapped__", None)  # jax.jit and functools.wraps keep the function they wrap
    if not isinstance(obj, types.FunctionType) and callable(wrapped):
        return ("wrapped", _program_key(wrapped, _seen))
    if not isinstance(obj, types.FunctionType):
        return ("object", _Identity(obj))
    if id(obj) in _seen:  # met before (recursion, or a helper two closures share): its place in the walk
        return ("seen", _seen[id(obj)])
    _seen[id(obj)] = len(_seen)
    code = obj.__code__
    cells = tuple(_program_key(c.cell_contents, _seen) if _filled(c) else ("empty",) for c in obj.__closure__ or ())
    names = tuple((name, _program_key(obj.__globals__[name], _seen)) for name in _global_names(code)
                  if name in obj.__globals__)
    return ("function", code, _program_key(obj.__defaults__, _seen), _program_key(obj.__kwdefaults__, _seen),
            cells, names)


def _global_names(code):
    """Every name a code object (and the functions, lambdas and comprehensions inside it) may read as a global."""
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names.update(_global_names(const))
    return sorted(names)


def _filled(cell):
    try:
        cell.cell_contents
    except ValueError:
        return False
    return True


class _Identity:
    """Hashes and compares by the identity of the object it holds (and keeps it alive, so the id is not reused)."""
    __slots__ = ("obj",)

    def __init__(self, obj):
        self.obj = obj

    def __hash__(self):
        return id(self.obj)

    def __eq__(self, other):
        return isinstance(other, _Identity) and other.obj is self.obj


class _ProgressBar:
    """An epoch counter for notebooks (an ipywidgets bar and a label); absent outside a kernel.

    Its stored text output is a fixed line, so re-executed notebooks compare equal under nbval."""

    def __init__(self, epochs):
        import ipywidgets
        from IPython.display import display

        self.epochs = epochs
        self.bar = ipywidgets.IntProgress(value=0, min=0, max=epochs, description="epoch")
        self.label = ipywidgets.Label(value=f"0/{epochs}")
        box = ipywidgets.HBox([self.bar, self.label])
        display({"text/plain": f"training for {epochs} epochs",
                 "application/vnd.jupyter.widget-view+json": {
                     "version_major": 2, "version_minor": 0, "model_id": box.model_id}}, raw=True)

    @classmethod
    def create(cls, epochs):
        try:
            from IPython import get_ipython
        except ImportError:
            return None
        shell = get_ipython()
        return cls(epochs) if shell is not None and hasattr(shell, "kernel") else None

    def show(self, epoch, metrics):
        self.bar.value = epoch
        self.label.value = f"{epoch}/{self.epochs}  " + "  ".join(f"{k} {v:.4f}" for k, v in metrics.items())
