"""5. Every optimizer's `update` against optax's equivalent, both jitted, on an MLP-sized pytree.

Target: within 1.2×. The pytree is the parameters of an MNIST-sized MLP (PYTREE_SIZES, about 0.5 M
weights in 6 leaves), big enough that the arithmetic, not the call overhead, is what is timed. Both sides
are called with the same gradients, state and params; before timing, three chained updates are compared
(a fast wrong update is not a result).
"""
import jax
import numpy as np

from benchmarks import harness

GROUP = "5. Every optimizer's update vs optax's (jitted)"
PYTREE_SIZES = (784, 512, 256, 10)
LR = 0.01


def _pairs(optax):
    """name -> (our constructor's kwargs, the optax optimizer with the same trajectory: see optim's docstrings)."""
    return {
        "sgd": (dict(lr=LR), lambda: optax.sgd(LR)),
        "momentum": (dict(lr=LR, beta=0.9), lambda: optax.sgd(LR, momentum=0.9)),
        "nesterov": (dict(lr=LR, beta=0.9), lambda: optax.sgd(LR, momentum=0.9, nesterov=True)),
        "adagrad": (dict(lr=LR, eps=1e-8), lambda: optax.adagrad(LR, initial_accumulator_value=0.0, eps=1e-8)),
        "adadelta": (dict(lr=1.0, rho=0.9, eps=1e-6), lambda: optax.adadelta(1.0, rho=0.9, eps=1e-6)),
        "rmsprop": (dict(lr=LR, decay=0.9, eps=1e-8), lambda: optax.rmsprop(LR, decay=0.9, eps=1e-8)),
        "adam": (dict(lr=LR, b1=0.9, b2=0.999, eps=1e-8), lambda: optax.adam(LR, b1=0.9, b2=0.999, eps=1e-8)),
    }


def run(settings):
    import optax

    from course_lib import layers

    params = layers.init_mlp(jax.random.PRNGKey(0), PYTREE_SIZES)
    leaves, treedef = jax.tree_util.tree_flatten(params)
    keys = jax.random.split(jax.random.PRNGKey(1), len(leaves))
    grads = jax.tree_util.tree_unflatten(treedef, [jax.random.normal(k, x.shape) for k, x in zip(keys, leaves)])
    n_weights = sum(x.size for x in leaves)
    rows = []
    for name, (kwargs, make_peer) in _pairs(optax).items():
        row_name = f"{name}.update vs optax, MLP {PYTREE_SIZES} ({n_weights / 1e6:.2f} M weights)"
        optim, reason = harness.optional_module("optim", name)
        if optim is None:
            rows.append(harness.skipped(row_name, f"optim.{name}", "optax", reason, group=GROUP,
                                        target=harness.within(1.2)))
            continue
        ours_opt, peer_opt = getattr(optim, name)(**kwargs), make_peer()
        ours_update, peer_update = jax.jit(ours_opt.update), jax.jit(peer_opt.update)
        ours_state, peer_state = ours_opt.init(params), peer_opt.init(params)
        m = harness.interleave({"ours": lambda: ours_update(grads, ours_state, params),
                                "peer": lambda: peer_update(grads, peer_state, params)},
                               settings.rounds(full=9, quick=2), min_sample_s=settings.min_sample_s)
        note = _agreement(ours_opt, peer_opt, ours_update, peer_update, params, grads)
        rows.append(harness.result(row_name, f"optim.{name}({_kwargs_text(kwargs)})", m["ours"],
                                   peer_name(name), m["peer"], target=harness.within(1.2), note=note, group=GROUP))
        if rows[-1]["met"] is False:
            rows[-1]["note"] = "; ".join(n for n in (rows[-1]["note"], _profile(ours_update, peer_update, grads,
                                                                               ours_state, peer_state, params)) if n)
    return rows


def peer_name(name):
    return {"sgd": "optax.sgd", "momentum": "optax.sgd(momentum=0.9)",
            "nesterov": "optax.sgd(momentum=0.9, nesterov=True)",
            "adagrad": "optax.adagrad(initial_accumulator_value=0)"}.get(name, f"optax.{name}")


def _kwargs_text(kwargs):
    return ", ".join(f"{k}={v:g}" for k, v in kwargs.items())


def _agreement(ours_opt, peer_opt, ours_update, peer_update, params, grads, steps=3):
    """Chain `steps` updates on each side (same grads) and compare the last updates."""
    ours_state, peer_state = ours_opt.init(params), peer_opt.init(params)
    for _ in range(steps):
        ours_u, ours_state = ours_update(grads, ours_state, params)
        peer_u, peer_state = peer_update(grads, peer_state, params)
    worst = 0.0
    for a, b in zip(jax.tree_util.tree_leaves(ours_u), jax.tree_util.tree_leaves(peer_u)):
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape:
            return f"WRONG SHAPE of an update leaf: {a.shape} vs optax {b.shape}"
        worst = max(worst, float(np.max(np.abs(a - b)) / max(1e-12, float(np.max(np.abs(b))))))
    return "" if worst < 1e-4 else f"UPDATES DIFFER from optax after {steps} steps: max relative error {worst:.2g}"


def _profile(ours_update, peer_update, grads, ours_state, peer_state, params):
    """When slow: count the operations XLA runs for each side (the compiled HLO's fusions and custom calls)."""
    def ops(update, state):
        text = update.lower(grads, state, params).compile().as_text()
        return sum(1 for line in text.splitlines() if line.strip().startswith(("ROOT", "%")) and " fusion(" in line)

    try:
        ours_ops, peer_ops = ops(ours_update, ours_state), ops(peer_update, peer_state)
    except Exception as error:  # the HLO text is a debugging aid, not an API
        return f"profile unavailable ({type(error).__name__})"
    text = f"profile: the compiled update runs {ours_ops} fused kernels, optax's {peer_ops}"
    if ours_ops > peer_ops:
        return (text + f"; each extra kernel is one more pass over the {len(jax.tree_util.tree_leaves(grads))} leaves "
                "(reads and writes the whole tree): fusing the chained transforms' tree_maps into one would close it")
    return (text + "; the compiled programs do the same work, so the gap is not in the code: timing noise "
            "(a loaded machine) or memory placement; rerun on an idle machine before changing anything")
