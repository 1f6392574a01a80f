"""The benchmark harness (benchmarks/harness.py) on trivial functions: interleaved rounds, the results.json
schema, the RESULTS.md table, skipped rows and the CLI's selection. No real benchmark runs here, and no
speed target is checked: speed is measured by `make bench`, never asserted by a test."""
import json
import math
import time

import pytest

from benchmarks import harness
from benchmarks.__main__ import BENCHMARKS, main


def _pair(settings_rounds=3):
    calls = {"ours": 0, "peer": 0}

    def ours():
        calls["ours"] += 1
        return sum(range(50))

    def peer():
        calls["peer"] += 1
        return sum(range(500))

    m = harness.interleave({"ours": ours, "peer": peer}, settings_rounds, min_sample_s=0.001)
    return m, calls


def test_interleave_times_every_callable_in_every_round_after_a_warm_up():
    order = []
    m = harness.interleave({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, 4, number=1)
    # per callable: warm-up, one untimed sample (no probe: number is given); then rounds alternate a b / b a
    assert order == ["a"] * 2 + ["b"] * 2 + ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert all(len(x.samples) == 4 for x in m.values())
    assert all(x.number == 1 for x in m.values())


def test_interleave_keeps_the_warm_up_value_and_reports_positive_medians():
    m, calls = _pair()
    assert m["ours"].value == sum(range(50)) and m["peer"].value == sum(range(500))
    assert m["ours"].median > 0 and m["peer"].median > 0
    assert calls["ours"] >= 1 + 3 * m["ours"].number


def test_interleave_counts_jax_compilation_of_the_first_call_separately():
    jax = pytest.importorskip("jax")
    f = jax.jit(lambda x: x * 2.0 + 1.0)
    x = jax.numpy.ones(7)
    m = harness.interleave({"f": lambda: f(x)}, 2, min_sample_s=0.001)
    assert m["f"].compile_s > 0
    assert not m["f"].recompiles
    assert m["f"].first_s >= m["f"].compile_s


def test_a_slow_callable_is_called_once_and_its_warm_up_is_its_sample():
    calls = []
    m = harness.interleave({"fast": lambda: None, "slow": lambda: calls.append(time.sleep(0.02))}, 3, number=1,
                           slow_s=0.01)
    assert len(m["fast"].samples) == 3 and len(m["slow"].samples) == 1 and len(calls) == 1
    assert m["slow"].samples[0] >= 0.02
    row = harness.result("x", "fast", m["fast"], "slow", m["slow"])
    assert "timed once only" in row["note"]


def test_result_row_has_the_issue_schema_and_ratio_is_ours_over_peer():
    m, _ = _pair()
    row = harness.result("sum small vs sum large", "sum(range(50))", m["ours"], "sum(range(500))", m["peer"],
                         target=harness.within(2.0), note="trivial", group="g")
    assert set(harness.KEYS) <= set(row)
    assert row["name"] == "sum small vs sum large" and row["ours"] == "sum(range(50))"
    assert math.isclose(row["ratio"], row["ours_s"] / row["peer_s"])
    assert row["repeats"] == 3
    assert row["note"].startswith("trivial")
    assert row["met"] is (row["ratio"] <= 2.0)
    assert isinstance(row["ours_s"], float) and isinstance(row["peer_s"], float)


@pytest.mark.parametrize("target, ratio, met", [(harness.within(1.5), 1.4, True), (harness.within(1.5), 1.6, False),
                                                (harness.faster_by(20), 0.04, True),
                                                (harness.faster_by(20), 0.06, False),
                                                (harness.faster(), 0.99, True), (harness.faster(), 1.0, False)])
def test_targets_compare_the_ratio(target, ratio, met):
    assert target.check({"ratio": ratio, "ours_s": ratio, "peer_s": 1.0}) is met


def test_a_budget_row_has_no_peer_and_no_ratio():
    m = harness.Measurement((61.0,), 1, math.nan, 0.0, False)
    row = harness.result("execute a.ipynb", "a.ipynb", m, target=harness.at_most_s(60))
    assert row["peer"] is None and row["peer_s"] is None and row["ratio"] is None
    assert row["met"] is False


def test_skipped_row_keeps_the_schema_and_says_why():
    row = harness.skipped("conv2d vs lax", "conv.conv2d", "lax", "course_lib.conv does not exist yet")
    assert set(harness.KEYS) <= set(row)
    assert row["ours_s"] is None and row["ratio"] is None and row["repeats"] == 0
    assert row["note"] == "skipped: course_lib.conv does not exist yet"


def test_optional_module_reports_a_missing_module_or_name():
    mod, reason = harness.optional_module("definitely_not_a_module")
    assert mod is None and "course_lib.definitely_not_a_module does not exist yet" in reason
    mod, reason = harness.optional_module("optim", "no_such_optimizer")
    assert mod is None and "no_such_optimizer" in reason
    mod, reason = harness.optional_module("optim", "sgd")
    assert mod is not None and reason is None


def test_write_produces_both_files_with_the_schema_and_a_readable_table(tmp_path):
    m, _ = _pair()
    rows = [harness.result("sum small vs sum large", "ours|fn", m["ours"], "peer fn", m["peer"],
                           target=harness.within(1e9), group="Group A"),
            harness.skipped("not yet", "x", "y", "module missing", group="Group B")]
    info = {"cpu_count": 2, "cpus_usable": 2, "jax": "0.0", "load_average": [0.1, 0.1, 0.1], "quick": True}
    json_path, md_path = harness.write(rows, tmp_path, info)
    records = json.loads(json_path.read_text())
    assert isinstance(records, list) and len(records) == 2
    for record in records:
        assert set(harness.KEYS) <= set(record)
        assert record["machine"]["cpu_count"] == 2
    assert records[1]["ours_s"] is None and records[1]["ratio"] is None
    text = md_path.read_text()
    assert "## Group A" in text and "## Group B" in text
    assert "| comparison | ours | peer | ours (median) | peer (median) | ratio |" in text
    assert "ours\\|fn" in text, "a | inside a cell is escaped so the table keeps its columns"
    assert "skipped: module missing" in text
    assert "- cpu_count: 2" in text and "- jax: 0.0" in text
    assert "Quick run" in text
    table_lines = [line for line in text.splitlines() if line.startswith("| sum small")]
    assert len(table_lines) == 1 and table_lines[0].count(" | ") == 10


def test_render_rewrites_results_md_from_results_json(tmp_path):
    m, _ = _pair()
    rows = [harness.result("a vs b", "a", m["ours"], "b", m["peer"], group="G")]
    harness.write(rows, tmp_path, {"cpu_count": 2, "jax": "0.0"})
    (tmp_path / "RESULTS.md").unlink()
    assert main(["--render", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "RESULTS.md").read_text()
    assert "## G" in text and "| a vs b |" in text and "- cpu_count: 2" in text


def test_render_markdown_flags_a_loaded_machine_and_a_missed_target():
    row = harness.result("slow", "a", harness.Measurement((2.0,), 1, math.nan, 0.0, False), "b",
                         harness.Measurement((1.0,), 1, math.nan, 0.0, False), target=harness.within(1.5))
    text = harness.render_markdown([row], {"cpus_usable": 2, "load_average": [5.0, 5.0, 5.0]})
    assert "Loaded machine" in text
    idle = {"cpus_usable": 2, "load_average_start": [0.1, 0.2, 0.3], "load_average": [2.1, 1.0, 0.5]}
    assert "Loaded machine" not in harness.render_markdown([row], idle), "the run's own grader jobs are not load"
    busy_before = {**idle, "load_average_start": [0.5, 3.2, 6.8]}
    assert "Loaded machine" in harness.render_markdown([row], busy_before)
    assert "| **no** |" in text and "Missed: slow" in text


def test_format_seconds_picks_a_readable_unit():
    assert harness.format_seconds(2.5) == "2.50 s"
    assert harness.format_seconds(0.0123) == "12.3 ms"
    assert harness.format_seconds(4.2e-5) == "42 µs"
    assert harness.format_seconds(None) == "—"


def test_cli_lists_the_seven_comparisons_and_rejects_an_unknown_one(capsys):
    assert main(["--list"]) == 0
    listed = capsys.readouterr().out
    assert all(name in listed for name in BENCHMARKS) and len(BENCHMARKS) == 7
    with pytest.raises(SystemExit):
        main(["--only", "nope"])
