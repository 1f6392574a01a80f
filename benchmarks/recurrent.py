"""3. recurrent.unroll (one lax.scan, jitted) against a Python loop over the jitted cell, T = 200 steps.

Target: at least 20× faster. The loop is what a student writes before meeting scan:

    cell = jax.jit(lstm_cell)
    for x in xs:                       # xs pre-split into T device arrays, outside the timing
        state, h = cell(params, state, x)
        hs.append(h)
    hs = jnp.stack(hs)

so the peer pays one dispatch per step and nothing else. LSTM (the contract's LSTMParams) always; the
vanilla RNN and the GRU too when recurrent.init_rnn / init_gru exist. Two sizes: the lecture's (the adding
problem, D = 2 inputs per step) and a larger cell, where the arithmetic per step outweighs the dispatch.
"""
import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import harness

GROUP = "3. recurrent.unroll (lax.scan) vs a Python loop over the jitted cell"
OURS = "recurrent.unroll (lax.scan, jit)"
PEER = "Python loop over jax.jit(cell)"
T = 200
SIZES = [("lecture-sized", 32, 2, 32), ("larger", 32, 16, 64)]  # (label, batch N, inputs D, hidden units H)


def _lstm(recurrent, key, N, D, H):
    keys = jax.random.split(key, 4)
    ws = [jax.random.normal(k, (H + D, H)) / np.sqrt(H + D) for k in keys]
    params = recurrent.LSTMParams(*ws, jnp.ones(H), jnp.zeros(H), jnp.zeros(H), jnp.zeros(H))
    return params, recurrent.LSTMState(jnp.zeros((N, H)), jnp.zeros((N, H)))


def _from_init(name):
    def make(recurrent, key, N, D, H):
        return getattr(recurrent, f"init_{name}")(key, D, H), jnp.zeros((N, H))
    return make


CELLS = [("LSTM", "lstm_cell", ("LSTMParams", "LSTMState"), _lstm),
         ("vanilla RNN", "rnn_cell", ("init_rnn",), _from_init("rnn")),
         ("GRU", "gru_cell", ("init_gru",), _from_init("gru"))]


def run(settings):
    recurrent, reason = harness.optional_module("recurrent", "unroll", "lstm_cell", "LSTMParams", "LSTMState")
    rows = []
    for size, (size_label, N, D, H) in enumerate(SIZES):
        for label, cell_name, needs, make in CELLS:
            if size > 0 and label != "LSTM":
                continue  # the larger size for the LSTM only: it makes the point, the others add minutes
            name = f"unroll vs Python loop, {label}, {size_label}: T={T}, N={N}, D={D}, H={H}"
            if recurrent is None:
                if label == "LSTM":
                    rows.append(harness.skipped(name, OURS, PEER, reason, group=GROUP,
                                                target=harness.faster_by(20)))
                continue
            if not all(hasattr(recurrent, n) for n in (cell_name, *needs)):
                continue  # an optional extra cell (not in the contract)
            rows.append(_compare(recurrent, name, label, getattr(recurrent, cell_name), make, N, D, H, settings))
    return rows


def _compare(recurrent, name, label, cell, make, N, D, H, settings):
    xs = jax.random.normal(jax.random.PRNGKey(1), (T, N, D))
    xs_list = list(xs)  # the loop's inputs, split once outside the timing
    params, state0 = make(recurrent, jax.random.PRNGKey(0), N, D, H)
    ours = jax.jit(lambda p, s, xs: recurrent.unroll(cell, p, s, xs))
    step = jax.jit(cell)

    def loop(p, s):
        hs = []
        for x in xs_list:
            s, h = step(p, s, x)
            hs.append(h)
        return s, jnp.stack(hs)

    m = harness.interleave({"ours": lambda: ours(params, state0, xs), "peer": lambda: loop(params, state0)},
                           settings.rounds(full=9, quick=2), min_sample_s=settings.min_sample_s)
    row = harness.result(name, OURS, m["ours"], PEER, m["peer"], target=harness.faster_by(20),
                         note=_agreement(m["ours"].value, m["peer"].value), group=GROUP)
    if row["met"] is False:
        leaves = len(jax.tree_util.tree_leaves((params, state0, xs_list[0])))
        row["note"] = "; ".join(n for n in (row["note"], _profile(row, leaves, label)) if n)
    return row


GATES = {"LSTM": "one (H + D, 4H) matmul for the four LSTM gates instead of four",
         "GRU": "one (H + D, 2H) matmul for the GRU's update and reset gates instead of two"}


def _profile(row, leaves, label):
    """Where the time goes, per step: scan runs only the cell's arithmetic (X); the loop runs the same
    arithmetic plus the cost of one call of a jitted function (Y − X: flattening the arguments, dispatch,
    the Python loop). ours / loop = X / Y ≤ 1/20 exactly when 19·X ≤ Y − X."""
    x, y = row["ours_s"] / T, row["peer_s"] / T
    overhead = y - x
    return (f"profile per step: scan {x * 1e6:.1f} µs (the cell's arithmetic, nothing else), loop {y * 1e6:.1f} µs, "
            f"so one jitted call ({leaves} argument leaves) costs {overhead * 1e6:.1f} µs beyond the arithmetic. "
            f"20× needs arithmetic ≤ (call overhead) / 19 = {max(overhead, 0) / 19 * 1e6:.2f} µs per step: the cell's "
            f"arithmetic, not unroll, decides the ratio (unroll is already a single XLA loop). Closing it means "
            f"less arithmetic per step ({GATES[label] + ', or ' if label in GATES else ''}a smaller cell); "
            f"on a machine with a slower dispatch the same code gets closer")


def _agreement(ours, peer):
    ours_hs, peer_hs = np.asarray(ours[1]), np.asarray(peer[1])
    if ours_hs.shape != peer_hs.shape:
        return f"WRONG SHAPE: unroll hs {ours_hs.shape}, loop {peer_hs.shape}"
    error = float(np.max(np.abs(ours_hs - peer_hs)))
    return "" if error < 1e-4 else f"OUTPUTS DIFFER from the loop: max |Δh| {error:.2g}"
