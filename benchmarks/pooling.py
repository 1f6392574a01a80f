"""2. pooling.max_pool2d against jax.lax.reduce_window (the primitive every JAX library pools with).

Target: within 1.5× on each case. Both jitted; outputs compared before the verdict.
"""
import jax
import jax.numpy as jnp
import numpy as np

from benchmarks import harness

GROUP = "2. pooling.max_pool2d vs lax.reduce_window"
OURS = "pooling.max_pool2d (jit)"
PEER = "lax.reduce_window(max) (jit)"

# (label, x shape NHWC, size, stride)
CASES = [
    ("after the digits conv: 256×6×6×16, 2×2", (256, 6, 6, 16), 2, 2),
    ("32×32 feature maps: 128×32×32×32, 2×2", (128, 32, 32, 32), 2, 2),
    ("overlapping: 128×32×32×32, 3×3 stride 2", (128, 32, 32, 32), 3, 2),
]


def lax_max_pool2d(x, size, stride):
    return jax.lax.reduce_window(x, -jnp.inf, jax.lax.max, (1, size, size, 1), (1, stride, stride, 1), "VALID")


def run(settings):
    pooling, reason = harness.optional_module("pooling", "max_pool2d")
    rows = []
    for label, shape, size, stride in CASES:
        name = f"max_pool2d vs reduce_window, {label}"
        if pooling is None:
            rows.append(harness.skipped(name, OURS, PEER, reason, group=GROUP, target=harness.within(1.5)))
            continue
        x = jnp.asarray(np.random.default_rng(0).normal(size=shape).astype(np.float32))
        ours = jax.jit(lambda x: pooling.max_pool2d(x, size, stride))
        peer = jax.jit(lambda x: lax_max_pool2d(x, size, stride))
        m = harness.interleave({"ours": lambda: ours(x), "peer": lambda: peer(x)},
                               settings.rounds(full=9, quick=2), min_sample_s=settings.min_sample_s)
        note = _agreement(m["ours"].value, m["peer"].value)
        row = harness.result(name, OURS, m["ours"], PEER, m["peer"], target=harness.within(1.5), note=note,
                             group=GROUP)
        if row["met"] is False:
            row["note"] = "; ".join(n for n in (row["note"], _profile(pooling, x, size, stride, row, settings)) if n)
        rows.append(row)
    return rows


def _agreement(ours, peer):
    ours, peer = np.asarray(ours), np.asarray(peer)
    if ours.shape != peer.shape:
        return f"WRONG SHAPE: ours {ours.shape}, reduce_window {peer.shape}"
    return "" if np.array_equal(ours, peer) else f"OUTPUTS DIFFER: max |Δ| {np.max(np.abs(ours - peer)):.2g}"


def _profile(pooling, x, size, stride, row, settings):
    """When slow: how much of max_pool2d is building the stacked windows (KH·KW strided copies of x)."""
    if not hasattr(pooling, "pool_windows"):
        return "profile: pooling.pool_windows not public, no breakdown"
    windows = jax.jit(lambda x: pooling.pool_windows(x, size, stride))
    m = harness.interleave({"windows": lambda: windows(x)}, settings.rounds(full=5, quick=2),
                           min_sample_s=settings.min_sample_s)
    share = m["windows"].median / row["ours_s"]
    return (f"profile: stacking the {size * size} strided window slices alone takes "
            f"{harness.format_seconds(m['windows'].median)} ({share:.0%} of max_pool2d); a running maximum over the "
            f"slices (jnp.maximum of each slice, no stacked copy) or lax.reduce_window itself would close the gap")
