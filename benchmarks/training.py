"""4. Training the lecture-3 digits MLP to 97 % test accuracy: course_lib.train.fit with optim.adam against
the same model trained by hand with JAX + optax, by PyTorch on the CPU, and by scikit-learn's MLPClassifier.

Every trainer starts from scratch in every call (fresh parameters, fresh optimizer state) and trains for
CONFIG.epochs epochs of shuffled mini-batches of CONFIG.batch_size; the test accuracy reached is in the
note. scikit-learn instead trains epoch by epoch until it reaches the accuracy target (its time includes
one test-set evaluation per epoch, about a millisecond), since the issue asks for "faster to the same
accuracy". Targets: within 1.15× of the hand-written optax loops, faster than PyTorch and scikit-learn.

fit caches its compiled epoch by program (train._program_key), so although every call builds a new
optimizer and passes a new parameter tree, it compiles once, in the warm-up, like the optax loops; the
harness reads compilation from JAX's own events and would report a recompiling call in the note.
"""
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import harness

GROUP = "4. Training the lecture-3 digits MLP to 97 % test accuracy"


class MLPConfig(NamedTuple):
    """The lecture-3 model and schedule. Change it HERE to follow lecture 3; every trainer reads it."""
    sizes: tuple = (64, 128, 10)   # layer widths: 64 pixels, one hidden layer of 128 ReLU units, 10 classes
    lr: float = 1e-3               # Adam's learning rate η (β1 = 0.9, β2 = 0.999, ε = 1e-8 everywhere)
    batch_size: int = 32
    epochs: int = 25               # fit + adam: 97.5 % at 25 (97.2-98.3 % from epoch 21 on; 96.9 % at 20)
    target_accuracy: float = 0.97
    seed: int = 0


CONFIG = MLPConfig()
OURS = "train.fit + optim.adam"


def run(settings, config=CONFIG):
    from course_lib import data, layers, losses, train

    keys = ["optax_loop", "optax_scan", "torch", "torch_1", "sklearn"]
    names = ["optax, Python loop over a jitted step", "optax, lax.scan over each epoch (jit)",
             "PyTorch (CPU, default threads), same model, batch size and epochs",
             "PyTorch (CPU, 1 thread), same model, batch size and epochs",
             "scikit-learn MLPClassifier (adam), until the same accuracy"]
    targets = [harness.within(1.15), harness.within(1.15), harness.faster(), harness.faster(), harness.faster()]
    name = f"digits MLP {config.sizes}, batch {config.batch_size}, {config.epochs} epochs"
    optim, reason = harness.optional_module("optim", "adam")
    if optim is None:
        return [harness.skipped(f"{name}: vs {peer.split(', same')[0]}", OURS, peer, reason, group=GROUP, target=t)
                for peer, t in zip(names, targets)]
    split = data.digits()
    x_train, y_train = np.asarray(split.x_train), np.asarray(split.y_train)
    x_test, y_test = np.asarray(split.x_test), np.asarray(split.y_test)

    def loss_fn(params, x, y):
        return losses.softmax_cross_entropy(layers.mlp(params, x), y)

    def init():
        return layers.init_mlp(jax.random.PRNGKey(config.seed), config.sizes)

    def ours(epochs=config.epochs):
        params, _ = train.fit(jax.random.PRNGKey(config.seed + 1), loss_fn, init(), optim.adam(config.lr),
                              x_train, y_train, epochs=epochs, batch_size=config.batch_size, progress=False)
        return params

    def accuracy(params):
        return float(train.accuracy(layers.mlp(params, jnp.asarray(x_test)), jnp.asarray(y_test)))

    fns = {"ours": ours}
    peers, reasons = _peers(config, x_train, y_train, x_test, y_test, loss_fn, init)
    fns.update(peers)
    m = harness.interleave(fns, settings.rounds(full=5, quick=1), number=1, slow_s=20.0)
    accuracies = {"ours": accuracy(m["ours"].value)}
    accuracies.update({"optax_loop": accuracy(m["optax_loop"].value), "optax_scan": accuracy(m["optax_scan"].value)})
    for key in ("torch", "torch_1"):
        if key in m:
            accuracies[key] = m[key].value
    if "sklearn" in m:
        accuracies["sklearn"], sklearn_epochs = m["sklearn"].value
    ours_note = (f"ours reached {accuracies['ours']:.1%} test accuracy"
                 + ("" if accuracies["ours"] >= config.target_accuracy else
                    f", BELOW the {config.target_accuracy:.0%} target: raise MLPConfig.epochs"))
    rows, profile = [], None
    for key, peer, target in zip(keys, names, targets):
        row_name = f"{name}: vs {peer.split(', same')[0]}"
        if key not in m:
            rows.append(harness.skipped(row_name, OURS, peer, reasons[key], group=GROUP, target=target))
            continue
        if key == "sklearn":
            peer_note = (f"scikit-learn reached {accuracies['sklearn']:.1%} after {sklearn_epochs} epochs"
                         + ("" if accuracies["sklearn"] >= config.target_accuracy else
                            f" (its cap; it never reached {config.target_accuracy:.0%})"))
        else:
            peer_note = f"the peer reached {accuracies[key]:.1%}"
        row = harness.result(row_name, OURS, m["ours"], peer, m[key], target=target,
                             note=f"{ours_note}; {peer_note}", group=GROUP)
        with_compile = row["ours_s"] + m["ours"].compile_s
        row["note"] += (f"; with its compilation ours takes {harness.format_seconds(with_compile)} per call, "
                        f"ratio {with_compile / row['peer_s']:.2f}")
        if row["met"] is False and key.startswith("optax"):
            profile = profile or _profile(ours, m, config, settings)
            row["note"] += "; " + profile
        rows.append(row)
    return rows


def _profile(ours, m, config, settings):
    """Split fit's time into a fixed cost per call and a cost per epoch: fit with 1 epoch against fit with
    config.epochs epochs (compilation kept out of both by the harness)."""
    m1 = harness.interleave({"one": lambda: ours(1), "all": lambda: ours(config.epochs)},
                            settings.rounds(full=3, quick=1), number=1)
    per_epoch = (m1["all"].median - m1["one"].median) / (config.epochs - 1)
    fixed = m1["one"].median - per_epoch
    scan = m["optax_scan"].median / config.epochs
    return (f"profile: fit costs {harness.format_seconds(fixed)} per call plus {harness.format_seconds(per_epoch)} "
            f"per epoch (the scan-per-epoch optax loop: {harness.format_seconds(scan)} per epoch), and "
            f"{harness.format_seconds(m['ours'].compile_s)} of tracing + compilation in its first call. Per epoch fit "
            f"also calls evaluate and reads the loss back to Python (which waits for the device) when a progress bar "
            f"or evaluate needs it")


def _peers(config, x_train, y_train, x_test, y_test, loss_fn, init):
    """The peer trainers that can run here, and why the others cannot."""
    import optax

    fns, reasons = {}, {}
    n = x_train.shape[0]
    tx = optax.adam(config.lr, b1=0.9, b2=0.999, eps=1e-8)

    @jax.jit
    def step(params, opt_state, x, y):
        loss, grads = jax.value_and_grad(loss_fn)(params, x, y)
        updates, opt_state = tx.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    def optax_loop():
        params = init()
        opt_state = tx.init(params)
        rng = np.random.default_rng(config.seed + 1)
        for _ in range(config.epochs):
            perm = rng.permutation(n)
            for i in range(0, n, config.batch_size):
                idx = perm[i:i + config.batch_size]
                params, opt_state, _ = step(params, opt_state, x_train[idx], y_train[idx])
        return params

    full, rest = divmod(n, config.batch_size)
    x_dev, y_dev = jnp.asarray(x_train), jnp.asarray(y_train)

    @jax.jit
    def epoch(params, opt_state, perm):
        def body(carry, idx):
            params, opt_state, _ = step(*carry, x_dev[idx], y_dev[idx])
            return (params, opt_state), None
        carry, _ = jax.lax.scan(body, (params, opt_state), perm[:full * config.batch_size].reshape(full, -1))
        if rest:
            params, opt_state, _ = step(*carry, x_dev[perm[full * config.batch_size:]],
                                        y_dev[perm[full * config.batch_size:]])
            carry = (params, opt_state)
        return carry

    def optax_scan():
        params = init()
        opt_state = tx.init(params)
        for key in jax.random.split(jax.random.PRNGKey(config.seed + 1), config.epochs):
            params, opt_state = epoch(params, opt_state, jax.random.permutation(key, n))
        return params

    fns["optax_loop"], fns["optax_scan"] = optax_loop, optax_scan
    install = 'install the bench extra: .venv/bin/python -m pip install -e ".[dev,bench]" (make bench does)'
    try:
        fns["torch"] = _torch_trainer(config, x_train, y_train, x_test, y_test, threads=None)
        fns["torch_1"] = _torch_trainer(config, x_train, y_train, x_test, y_test, threads=1)
    except ImportError as error:
        reasons["torch"] = reasons["torch_1"] = f"PyTorch is not installed ({error}); {install}"
    try:
        fns["sklearn"] = _sklearn_trainer(config, x_train, y_train, x_test, y_test)
    except ImportError as error:
        reasons["sklearn"] = f"scikit-learn is not installed ({error}); {install}"
    return fns, reasons


def _torch_trainer(config, x_train, y_train, x_test, y_test, threads):
    """nn.Sequential(Linear, ReLU, Linear), cross-entropy, Adam: the same model, batch size and epochs.
    threads: torch.set_num_threads for the call (None: PyTorch's default, one per core; restored after).
    Returns the test accuracy reached (PyTorch's default init, not Xavier: the time is what is compared)."""
    import torch

    default_threads = torch.get_num_threads()
    x, y = torch.tensor(x_train), torch.tensor(y_train.astype(np.int64))
    xt, yt = torch.tensor(x_test), torch.tensor(y_test.astype(np.int64))
    n = x.shape[0]

    def train():
        torch.set_num_threads(threads or default_threads)
        try:
            return _train()
        finally:
            torch.set_num_threads(default_threads)

    def _train():
        torch.manual_seed(config.seed)
        layers = []
        for i, (m, k) in enumerate(zip(config.sizes[:-1], config.sizes[1:])):
            layers += [torch.nn.Linear(m, k)] + ([torch.nn.ReLU()] if i < len(config.sizes) - 2 else [])
        model = torch.nn.Sequential(*layers)
        opt = torch.optim.Adam(model.parameters(), lr=config.lr, betas=(0.9, 0.999), eps=1e-8)
        generator = torch.Generator().manual_seed(config.seed + 1)
        for _ in range(config.epochs):
            perm = torch.randperm(n, generator=generator)
            for i in range(0, n, config.batch_size):
                idx = perm[i:i + config.batch_size]
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
                opt.step()
        with torch.no_grad():
            return float((model(xt).argmax(1) == yt).float().mean())

    return train


def _sklearn_trainer(config, x_train, y_train, x_test, y_test):
    """MLPClassifier with the same hidden layers, ReLU, Adam, batch size and learning rate, no L2 penalty,
    trained one epoch (partial_fit) at a time until the test accuracy reaches the target (at most 5× the
    epochs). Returns (accuracy, epochs)."""
    from sklearn.neural_network import MLPClassifier

    classes = np.arange(config.sizes[-1])

    def train():
        clf = MLPClassifier(hidden_layer_sizes=config.sizes[1:-1], activation="relu", solver="adam", alpha=0.0,
                            batch_size=config.batch_size, learning_rate_init=config.lr, beta_1=0.9, beta_2=0.999,
                            epsilon=1e-8, shuffle=True, random_state=config.seed)
        accuracy = 0.0
        for epoch in range(1, 5 * config.epochs + 1):
            clf.partial_fit(x_train, y_train, classes=classes)
            accuracy = clf.score(x_test, y_test)
            if accuracy >= config.target_accuracy:
                break
        return float(accuracy), epoch

    return train
