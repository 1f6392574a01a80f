"""`python -m benchmarks` (what `make bench` runs): every comparison, then results.json and RESULTS.md.

    python -m benchmarks                      everything (about 10 minutes on 2 idle cores)
    python -m benchmarks --only conv,pool     a selection (see --list)
    python -m benchmarks --quick              few rounds, short samples: checks that it runs, numbers meaningless
    python -m benchmarks --out /tmp/bench     write the two files elsewhere (default: benchmarks/)
"""
import argparse
import os
import sys
import time
import traceback
from importlib import import_module
from pathlib import Path

from benchmarks import harness

# name on the command line -> (module, what it compares). Order = order in RESULTS.md.
BENCHMARKS = {
    "conv": ("benchmarks.conv", "1. conv.conv2d vs lax.conv_general_dilated and a Python-loop convolution"),
    "pool": ("benchmarks.pooling", "2. pooling.max_pool2d vs lax.reduce_window"),
    "rnn": ("benchmarks.recurrent", "3. recurrent.unroll (lax.scan) vs a Python loop over the jitted cell"),
    "train": ("benchmarks.training", "4. Training the lecture-3 digits MLP to 97 % test accuracy"),
    "optim": ("benchmarks.optimizers", "5. Every optimizer's update vs optax's"),
    "notebooks": ("benchmarks.notebooks", "6. The whole course, every notebook executed headless"),
    "grader": ("benchmarks.grader", "7. The grader: submissions per minute and overhead"),
}
HERE = Path(__file__).parent


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", metavar="NAMES", help=f"comma-separated subset of: {', '.join(BENCHMARKS)}")
    parser.add_argument("--quick", action="store_true",
                        help="few rounds and short samples, to check that everything runs (numbers meaningless)")
    parser.add_argument("--repeats", type=int, metavar="N", help="rounds for every comparison (overrides defaults)")
    parser.add_argument("--out", default=str(HERE), metavar="DIR",
                        help="folder for results.json and RESULTS.md (default: benchmarks/)")
    parser.add_argument("--list", action="store_true", help="list the benchmarks and exit")
    parser.add_argument("--render", action="store_true",
                        help="measure nothing: rewrite RESULTS.md from the results.json in --out")
    args = parser.parse_args(argv)
    if args.list:
        for name, (_, title) in BENCHMARKS.items():
            print(f"{name:10s} {title}")
        return 0
    if args.render:
        json_path, md_path = harness.rerender(args.out)
        harness.log(f"rewrote {md_path} from {json_path}")
        return 0
    selection = list(BENCHMARKS)
    if args.only:
        selection = [s.strip() for s in args.only.split(",") if s.strip()]
        unknown = [s for s in selection if s not in BENCHMARKS]
        if unknown:
            parser.error(f"--only: unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    settings = harness.Settings(quick=args.quick, repeats=args.repeats,
                                min_sample_s=0.01 if args.quick else 0.05)
    started = time.time()
    load_at_start = os.getloadavg() if hasattr(os, "getloadavg") else None
    rows = []
    for done, name in enumerate(selection):
        module_name, title = BENCHMARKS[name]
        harness.log(f"== {title}")
        t0 = time.perf_counter()
        try:
            new = import_module(module_name).run(settings)
        except Exception as error:  # one broken benchmark must not stop the others
            traceback.print_exc()
            new = [harness.failed(title, "—", None, error, group=title)]
        for row in new:
            row.setdefault("group", title)
            if not row.get("group"):
                row["group"] = title
            harness.log(f"   {row['name']}: ours {harness.format_seconds(row['ours_s'])}, "
                        f"peer {harness.format_seconds(row['peer_s'])}"
                        + (f", ratio {row['ratio']:.3g}" if row["ratio"] is not None else "")
                        + (f", target met: {row['met']}" if row.get("met") is not None else "")
                        + (f"  [{row['note']}]" if row["note"] else ""))
        rows += new
        harness.log(f"   ({time.perf_counter() - t0:.1f} s)")
        # Written after every benchmark, so an interrupted run still leaves what it measured.
        info = harness.machine(settings, started, load_at_start)
        info["completed"] = f"{done + 1} of {len(selection)} benchmarks"
        json_path, md_path = harness.write(rows, args.out, info, selection=selection if args.only else None)
    harness.log(f"wrote {json_path} and {md_path} in {time.time() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
