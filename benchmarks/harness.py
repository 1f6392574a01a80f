"""The shared harness: interleaved timing after warm-up, medians, and the two result files.

    m = interleave({"ours": f, "peer": g}, repeats=7)        # every callable timed in every round
    row = result("conv2d vs lax", "conv.conv2d", m["ours"], "lax.conv_general_dilated", m["peer"],
                 target=within(2.0))
    write([row], "benchmarks/")                              # results.json and RESULTS.md

Timing rules, stated once:
- Every callable is called once before timing (the warm-up); that first call's JAX tracing + compilation
  time is recorded separately (`*_compile_s`), read from JAX's own compile events, never guessed. A second
  call sizes the samples, and a fast callable then runs one untimed sample (the first calls after a
  compile run slower).
- A sample is `number` back-to-back calls (chosen so a sample lasts at least `min_sample_s`), with the
  result waited for (`jax.block_until_ready`) and the garbage collector paused, divided by `number`.
- Rounds are interleaved (A B C, then C B A, ...), so a load spike or a thermal drift hits every callable
  alike; each callable's time is the median over the rounds.
- JAX compilation that happens INSIDE a timed sample (a function that re-traces on every call) is
  subtracted from that sample and reported in `*_compile_s`, so "steady state" means the same for all.
"""
import gc
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from importlib import import_module, metadata
from pathlib import Path
from typing import Callable, NamedTuple

__all__ = ["KEYS", "Settings", "Measurement", "Target", "within", "faster_by", "faster", "at_most_s",
           "time_calls", "interleave", "measure_once", "result", "skipped", "failed", "optional_module",
           "machine", "render_markdown", "write", "rerender", "format_seconds", "log"]

# The keys every row of results.json has (the schema); rows carry a few more, listed in render_markdown.
KEYS = ("name", "ours", "peer", "ours_s", "peer_s", "ratio", "repeats", "note")

_COMPILE_EVENTS = {"/jax/core/compile/jaxpr_trace_duration",
                   "/jax/core/compile/jaxpr_to_mlir_module_duration",
                   "/jax/core/compile/backend_compile_duration"}
WARM_ROUND_MAX_S = 0.5  # a fast callable gets one untimed sample after its warm-up call when it costs less
_compile_clock = [0.0]  # seconds JAX has spent tracing, lowering and compiling in this process
_listening = [False]


def _listen_to_compiles():
    """Count JAX's compile-phase durations (jax.monitoring events), once per process."""
    if _listening[0]:
        return
    try:
        from jax import monitoring
    except ImportError:  # no JAX: nothing ever compiles
        _listening[0] = True
        return

    def on_duration(name, seconds, **_):
        if name in _COMPILE_EVENTS:
            _compile_clock[0] += seconds

    monitoring.register_event_duration_secs_listener(on_duration)
    _listening[0] = True


class Settings(NamedTuple):
    """How hard to measure. quick: few rounds, short samples (for building and debugging, not for numbers)."""
    quick: bool = False
    repeats: int | None = None   # overrides every benchmark's own round count when given
    min_sample_s: float = 0.05   # a sample lasts at least this long (many calls of a fast function)

    def rounds(self, full, quick=2):
        """Rounds for a benchmark: `full` normally, `quick` with --quick, or --repeats when given."""
        return self.repeats if self.repeats else (quick if self.quick else full)


class Measurement(NamedTuple):
    samples: tuple        # seconds per call, one per round (compilation inside a sample subtracted)
    number: int           # calls per sample
    first_s: float        # the first (warm-up) call, everything included; nan when there was no warm-up
    compile_s: float      # JAX tracing + compilation in the first call, or per call when it recurs
    recompiles: bool      # True when every call compiles again (the steady-state samples had compile events)
    value: object = None  # what the warm-up call returned (to check that ours and the peer agree)

    @property
    def median(self):
        return statistics.median(self.samples)


class Target(NamedTuple):
    text: str                     # what the issue asks, in words
    check: Callable[[dict], bool]  # row -> met?


def within(factor):
    """Ours may be at most `factor` times slower than the peer: ratio ≤ factor."""
    return Target(f"ratio ≤ {factor:g} (within {factor:g}× of the peer)", lambda r: r["ratio"] <= factor)


def faster_by(factor):
    """Ours at least `factor` times faster than the peer: ratio ≤ 1/factor."""
    return Target(f"ratio ≤ {1 / factor:.3g} (≥ {factor:g}× faster)", lambda r: r["ratio"] <= 1 / factor)


def faster():
    return Target("ratio < 1 (faster than the peer)", lambda r: r["ratio"] < 1)


def at_most_s(seconds, text=None):
    """Ours takes at most `seconds` (a budget rather than a peer)."""
    return Target(text or f"ours ≤ {seconds:g} s", lambda r: r["ours_s"] <= seconds)


def _block(value):
    try:
        import jax
    except ImportError:
        return value
    return jax.block_until_ready(value)


def time_calls(fn, number, *, keep=False):
    """(seconds per call, JAX compile seconds per call) over `number` calls, results waited for, gc paused;
    with keep=True, also the last call's return value."""
    _listen_to_compiles()
    gc_was_on = gc.isenabled()
    gc.disable()
    value = None
    try:
        compiled = _compile_clock[0]
        start = time.perf_counter()
        for _ in range(number):
            value = _block(fn())
            if not keep:
                value = None
        elapsed = time.perf_counter() - start
        compiled = _compile_clock[0] - compiled
    finally:
        if gc_was_on:
            gc.enable()
    if keep:
        return elapsed / number, compiled / number, value
    return elapsed / number, compiled / number


def interleave(fns, repeats, *, min_sample_s=0.05, warmup=True, number=None, max_number=10_000, slow_s=None):
    """Time every callable in `fns` (a dict name -> zero-argument callable) over `repeats` interleaved rounds.

    warmup: call each once first (timed; its compilation recorded) and size `number` from a second call.
    number: calls per sample; by default enough for `min_sample_s`.
    slow_s: a callable whose warm-up call takes longer than this is not called again: that call, less its JAX
    compilation, is its only sample (a budget guard for pathologically slow peers; the row says so).
    Returns a dict name -> Measurement.
    """
    if repeats < 1:
        raise ValueError(f"interleave: repeats must be at least 1, got {repeats}")
    names = list(fns)
    first, compile_first, numbers, values = {}, {}, {}, {}
    for name in names:
        if warmup:
            first[name], compile_first[name], values[name] = time_calls(fns[name], 1, keep=True)
            if slow_s is not None and first[name] > slow_s:
                numbers[name] = 1
                continue
            if number is None:
                probe, _ = time_calls(fns[name], 1)
                numbers[name] = max(1, min(max_number, math.ceil(min_sample_s / max(probe, 1e-9))))
            else:
                probe, numbers[name] = first[name] - compile_first[name], number
            if probe * numbers[name] < WARM_ROUND_MAX_S:
                # One untimed sample more: the first few hundred calls after a compile run slower
                # (buffers, caches), which would bias the first rounds of short functions.
                time_calls(fns[name], numbers[name])
        else:
            first[name], compile_first[name] = math.nan, 0.0
            numbers[name] = number or 1
    samples = {name: [] for name in names}
    compiles = {name: [] for name in names}
    slow = {name for name in names if warmup and slow_s is not None and first[name] > slow_s}
    for name in slow:  # its warm-up call is its one sample
        samples[name].append(first[name] - compile_first[name])
        compiles[name].append(0.0)
    for r in range(repeats):
        for name in (names if r % 2 == 0 else names[::-1]):
            if name in slow:
                continue
            seconds, compiled = time_calls(fns[name], numbers[name])
            samples[name].append(seconds - compiled)
            compiles[name].append(compiled)
    out = {}
    for name in names:
        recurring = statistics.median(compiles[name]) > 0
        compile_s = statistics.median(compiles[name]) if recurring else compile_first[name]
        out[name] = Measurement(tuple(samples[name]), numbers[name], first[name], compile_s, recurring,
                                values.get(name))
    return out


def measure_once(fn):
    """One cold call (no warm-up, e.g. a notebook in a fresh kernel): a Measurement with a single sample."""
    seconds, _, value = time_calls(fn, 1, keep=True)
    return Measurement((seconds,), 1, math.nan, 0.0, False, value)


def result(name, ours, ours_m, peer=None, peer_m=None, *, target=None, note="", group="", **extra):
    """A results.json row from measurements (peer_m None: a measurement against a budget, no peer)."""
    ours_s = ours_m.median
    peer_s = peer_m.median if peer_m is not None else None
    row = {"name": name, "ours": ours, "peer": peer, "ours_s": ours_s, "peer_s": peer_s,
           "ratio": ours_s / peer_s if peer_s else None, "repeats": len(ours_m.samples), "note": note,
           "group": group, "target": target.text if target else None, "met": None,
           "ours_compile_s": _compile_field(ours_m), "peer_compile_s": _compile_field(peer_m),
           "calls_per_sample": [ours_m.number] + ([peer_m.number] if peer_m is not None else [])}
    if target is not None:
        row["met"] = bool(target.check(row))
    notes = [note] if note else []
    if ours_m.recompiles:
        notes.append(f"ours compiles again on every call ({format_seconds(ours_m.compile_s)} per call, "
                     "excluded from ours_s)")
    if peer_m is not None and len(peer_m.samples) < len(ours_m.samples):
        notes.append(f"the peer was timed once only (its first call, {format_seconds(peer_m.first_s)}, was too "
                     "slow to repeat)")
    if peer_m is not None and peer_m.recompiles:
        notes.append(f"the peer compiles again on every call ({format_seconds(peer_m.compile_s)} per call, "
                     "excluded from peer_s)")
    row["note"] = "; ".join(notes)
    row.update(extra)
    return row


def _compile_field(m):
    if m is None or (math.isnan(m.first_s) and not m.recompiles):
        return None
    return m.compile_s


def skipped(name, ours, peer, reason, *, group="", target=None):
    """A row for a comparison that could not run (its module is not written yet, a peer is not installed)."""
    return {"name": name, "ours": ours, "peer": peer, "ours_s": None, "peer_s": None, "ratio": None,
            "repeats": 0, "note": f"skipped: {reason}", "group": group,
            "target": target.text if target else None, "met": None,
            "ours_compile_s": None, "peer_compile_s": None, "calls_per_sample": []}


def failed(name, ours, peer, error, *, group="", target=None):
    """A row for a comparison that raised: the error is the note, the other benchmarks go on."""
    row = skipped(name, ours, peer, "", group=group, target=target)
    row["note"] = f"error: {type(error).__name__}: {str(error).strip().splitlines()[0][:300] if str(error).strip() else ''}"
    return row


def optional_module(module, *names):
    """(course_lib.<module>, None), or (None, why it cannot be benchmarked yet) when it or a name is missing."""
    try:
        mod = import_module(f"course_lib.{module}")
    except ModuleNotFoundError as error:
        if error.name != f"course_lib.{module}":
            raise
        return None, f"course_lib.{module} does not exist yet; the benchmark runs as soon as it lands"
    missing = [n for n in names if not hasattr(mod, n)]
    if missing:
        return None, (f"course_lib.{module} has no {', '.join(missing)} yet (DESIGN.md contract); "
                      "the benchmark runs as soon as it lands")
    return mod, None


def machine(settings=None, started=None, load_at_start=None):
    """What the numbers were measured on: CPUs, load (at the start, when given, and now), versions, commit."""
    info = {"cpu_count": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0))
            if hasattr(os, "sched_getaffinity") else os.cpu_count(),
            "cpu_model": _cpu_model(), "platform": platform.platform(), "python": platform.python_version(),
            "load_average": [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None}
    # Versions from the installed metadata: importing torch or sklearn just to ask would load them.
    for key, dist in (("jax", "jax"), ("jaxlib", "jaxlib"), ("numpy", "numpy"), ("optax", "optax"),
                      ("torch", "torch"), ("sklearn", "scikit-learn"), ("nbclient", "nbclient")):
        try:
            info[key] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            info[key] = None
    try:
        import jax
        info["jax_backend"] = jax.default_backend()
        info["jax_devices"] = [str(d) for d in jax.devices()]
    except Exception:
        pass
    try:
        info["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                                        cwd=Path(__file__).parent, timeout=10).stdout.strip() or None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                               text=True, cwd=Path(__file__).parent, timeout=10).stdout.strip()
        info["work_tree_modified"] = bool(dirty)
    except (OSError, subprocess.SubprocessError):
        info["commit"] = None
    if settings is not None:
        info["quick"] = settings.quick
    if load_at_start is not None:
        info["load_average_start"] = [round(x, 2) for x in load_at_start]
    if started is not None:
        info["started_utc"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(started))
        info["duration_s"] = round(time.time() - started, 1)
    return info


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def format_seconds(seconds):
    if seconds is None or (isinstance(seconds, float) and math.isnan(seconds)):
        return "—"
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} µs"


def _format_ratio(ratio):
    if ratio is None:
        return "—"
    if ratio >= 0.1:
        return f"{ratio:.2f}"
    return f"{ratio:.2g} (1/{1 / ratio:.0f})" if ratio > 0 else "0"


def _cell(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def render_markdown(rows, info, *, selection=None):
    """RESULTS.md: the machine, how to read the table, then one table per group in the order rows came."""
    lines = ["# Benchmark results", "",
             "Generated by `make bench` (`python -m benchmarks`); do not edit by hand. "
             "Times are medians over interleaved rounds after a warm-up call; "
             "**ratio = ours / peer** (below 1: ours is faster). "
             "*compile* is JAX's tracing + compilation, measured in the warm-up call and kept out of the medians "
             "(for a function that compiles on every call, it is the per-call compile time, also kept out). "
             "Notebooks and the grader are timed cold, without warm-up: every run starts fresh kernels. "
             "Rows without a peer are measured against a budget (the target column).", ""]
    if info.get("quick"):
        lines += ["> **Quick run** (`--quick`): few rounds and short samples, for checking that the benchmarks "
                  "run. Do not read the numbers.", ""]
    selection = selection or info.get("selection")
    if selection:
        lines += [f"> **Partial run**: only {', '.join(selection)}.", ""]
    completed = info.get("completed", "")
    if completed and completed.split(" of ")[0] != completed.split(" of ")[-1].split()[0]:
        lines += [f"> **Run in progress or interrupted**: {completed} done.", ""]
    if _loaded(info):
        lines += [f"> **Loaded machine**: load averages (1, 5, 15 min) {info.get('load_average_start')} at the "
                  f"start and {info.get('load_average')} when this file was written, on {info['cpus_usable']} CPUs; "
                  "other processes competed for the CPUs and the numbers are not representative.", ""]
    lines += ["## Machine", ""]
    for key in ("cpu_count", "cpus_usable", "cpu_model", "load_average_start", "load_average", "platform", "python", "jax", "jaxlib",
                "jax_backend", "numpy", "optax", "torch", "sklearn", "nbclient", "commit", "work_tree_modified",
                "started_utc", "duration_s", "completed"):
        if key in info:
            lines.append(f"- {key}: {info[key]}")
    lines.append("")
    groups = []
    for row in rows:
        if row.get("group", "") not in groups:
            groups.append(row.get("group", ""))
    for group in groups:
        lines += [f"## {group}" if group else "## Results", "",
                  "| comparison | ours | peer | ours (median) | peer (median) | ratio | compile ours / peer "
                  "| target | met | rounds | note |",
                  "|---|---|---|---:|---:|---:|---:|---|---|---:|---|"]
        for row in (r for r in rows if r.get("group", "") == group):
            met = {True: "yes", False: "**no**", None: "—"}[row.get("met")]
            compile_text = (f"{format_seconds(row.get('ours_compile_s'))} / {format_seconds(row.get('peer_compile_s'))}"
                            if row.get("ours_compile_s") is not None or row.get("peer_compile_s") is not None else "—")
            lines.append("| " + " | ".join(_cell(c) for c in (
                row["name"], row["ours"], row["peer"] or "—", format_seconds(row["ours_s"]),
                format_seconds(row["peer_s"]), _format_ratio(row["ratio"]), compile_text,
                row.get("target") or "—", met, row["repeats"], row["note"] or "")) + " |")
        lines.append("")
    missed = [r for r in rows if r.get("met") is False]
    skipped_rows = [r for r in rows if r["ours_s"] is None]
    lines += ["## Summary", "",
              f"{len(rows)} rows: {sum(r.get('met') is True for r in rows)} targets met, {len(missed)} missed, "
              f"{len(skipped_rows)} not measured (skipped or failed)."]
    if missed:
        lines += ["", "Missed: " + "; ".join(r["name"] for r in missed) + " (the note of each row says why)."]
    return "\n".join(lines) + "\n"


def _loaded(info):
    """Other work on the machine: a load before the run started (1 or 5 min) above half the CPUs, or at the
    end above 1.5× the CPUs (the run itself ends with two grader jobs, a load of about 2)."""
    cpus = info.get("cpus_usable")
    start, end = info.get("load_average_start"), info.get("load_average")
    if not cpus:
        return False
    return bool((start and max(start[:2]) > 0.5 * cpus) or (end and end[0] > 1.5 * cpus))


def _json_safe(value):
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def write(rows, out_dir, info=None, *, selection=None):
    """Write results.json (the rows, each with the machine) and RESULTS.md into `out_dir`; return both paths."""
    info = dict(info if info is not None else machine())
    if selection:
        info["selection"] = list(selection)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    records = [_json_safe({**row, "machine": info}) for row in rows]
    json_path, md_path = out_dir / "results.json", out_dir / "RESULTS.md"
    _write_atomic(json_path, json.dumps(records, indent=2, ensure_ascii=False) + "\n")
    _write_atomic(md_path, render_markdown(rows, info, selection=selection))
    return json_path, md_path


def rerender(out_dir):
    """Rewrite RESULTS.md from the results.json in `out_dir` (after a change to the rendering)."""
    json_path, md_path = Path(out_dir) / "results.json", Path(out_dir) / "RESULTS.md"
    records = json.loads(json_path.read_text(encoding="utf-8"))
    info = records[0].get("machine", {}) if records else {}
    rows = [{k: v for k, v in r.items() if k != "machine"} for r in records]
    _write_atomic(md_path, render_markdown(rows, info))
    return json_path, md_path


def _write_atomic(path, text):
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def log(message):
    """Progress on stderr, so stdout stays clean."""
    print(message, file=sys.stderr, flush=True)
