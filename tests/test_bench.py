"""``harness bench`` at its quick sizes: every benchmark runs and fills its rows.

The smoke run starts the real servers (harness serve, bare uvicorn, moto's
server mode, web-push-testing) on loopback and plays every family once at
tiny sizes; the tests read its sections. They check that every row is there
with sane numbers, never how fast anything was: timings belong to the
command, run on a quiet machine (docs/benchmarks.md).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from harness.bench.command import FAMILIES, run_bench
from harness.bench.figures import Figure, Section, Target
from harness.bench.sizes import QUICK
from harness.bench.table import render
from harness.cli import main

ROOT = Path(__file__).resolve().parents[1]

ROWS = {
    "embedded": ["SDK events ingested", "scenario cells"],
    "fuzz": ["stateful-machine steps", "fuzz examples passed"],
    "served": [
        "bare uvicorn GET",
        "Pipelines batch of 20",
        "batch rate / bare GET rate",
        "batch p50 latency",
        "batch p99 latency",
        "Track identify",
        "identify p50 latency",
        "identify p99 latency",
    ],
    "memory": [
        "memory at 2,000 events, per 100,000",
        "memory at 10,000 events, per 100,000",
    ],
    "moto": [
        "moto in-process (mock_aws)",
        "harness embedded",
        "moto server mode",
        "harness serve",
        "harness embedded / moto in-process",
        "harness serve / moto server mode",
        "per-test set-up, mock_aws + boto3 client",
        "per-test set-up, harness emulator",
        "per-test set-up, harness World",
        "per-test reset, moto server",
        "per-test reset, harness serve",
    ],
    "webpush": [
        "web-push-testing notify",
        "harness serve notify",
        "harness embedded notify",
        "harness serve / web-push-testing",
        "harness embedded / web-push-testing",
        "web-push-testing subscribe",
        "harness subscribe (in process)",
    ],
    "matrix": [
        "cells, 1 worker",
        "cells, 2 workers",
        "speed-up, 1 to 2 workers",
        "the same, whole command's wall time",
    ],
}


@pytest.fixture(scope="module")
def sections() -> dict[str, Section]:
    """Every family measured once at the quick sizes, by name."""
    measured, _ = run_bench(ROOT, QUICK, list(FAMILIES))
    return dict(zip(FAMILIES, measured, strict=True))


def labels(section: Section) -> list[str]:
    return [figure.label.strip() for figure in section.figures]


def test_the_rows_cover_every_family() -> None:
    assert list(ROWS) == list(FAMILIES)


@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_family_runs_at_quick_sizes(
    sections: dict[str, Section], name: str
) -> None:
    assert sections[name].failure is None


@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_family_has_its_rows_in_order(
    sections: dict[str, Section], name: str
) -> None:
    assert labels(sections[name]) == ROWS[name]


@pytest.mark.parametrize("name", list(FAMILIES))
def test_every_figure_is_a_positive_median_of_its_runs(
    sections: dict[str, Section], name: str
) -> None:
    for figure in sections[name].figures:
        assert figure.runs, figure.label
        assert all(math.isfinite(r) and r > 0 for r in figure.runs), figure.label
        assert min(figure.runs) <= (figure.value or 0) <= max(figure.runs)


def test_figures_repeat_as_often_as_the_sizes_say(
    sections: dict[str, Section],
) -> None:
    events = sections["embedded"].figures[0]
    pairs = sections["moto"].figures[0]

    assert len(events.runs) == QUICK.runs
    assert len(pairs.runs) == QUICK.runs


def test_fuzz_examples_all_pass_on_the_reference_app(
    sections: dict[str, Section],
) -> None:
    steps, passed = sections["fuzz"].figures

    assert passed.value is not None
    assert passed.value >= QUICK.fuzz_examples * QUICK.runs
    assert passed.verdict == "met"
    assert "failed" not in passed.note


def test_ratios_are_the_quotients_of_the_same_runs(
    sections: dict[str, Section],
) -> None:
    figures = {f.label.strip(): f for f in sections["moto"].figures}
    harness, moto = figures["harness serve"], figures["moto server mode"]
    ratio = figures["harness serve / moto server mode"]

    expected = [h / m for h, m in zip(harness.runs, moto.runs, strict=True)]

    assert ratio.runs == pytest.approx(expected)


def test_latency_percentiles_are_ordered(sections: dict[str, Section]) -> None:
    figures = {f.label.strip(): f for f in sections["served"].figures}

    assert figures["batch p50 latency"].value <= figures["batch p99 latency"].value


def test_the_table_prints_the_machine_versions_and_every_row(
    sections: dict[str, Section],
) -> None:
    text = render(list(sections.values()), "harness bench", "2 CPUs", "moto 5.2")

    assert "machine   2 CPUs" in text
    assert "versions  moto 5.2" in text
    for rows in ROWS.values():
        for label in rows:
            assert label in text


def test_every_target_gets_a_verdict_in_the_table(
    sections: dict[str, Section],
) -> None:
    targeted = [f for s in sections.values() for f in s.figures if f.target]

    assert len(targeted) >= 9
    assert all(
        f.verdict == "met" or f.verdict.startswith("missed by") for f in targeted
    )


def test_a_missed_floor_says_by_how_much() -> None:
    target = Target(">= 100,000/s", least=100_000)

    assert target.verdict(25_000) == "missed by 75% (4.0x short)"
    assert target.verdict(100_000) == "met"


def test_a_missed_ceiling_says_by_how_much() -> None:
    target = Target("<= 5 ms", most=5.0)

    assert target.verdict(7.5) == "missed by 50% over"
    assert target.verdict(5.0) == "met"


def test_a_figure_without_runs_is_not_measured() -> None:
    figure = Figure("SDK events ingested", "/s", target=Target(">= 1", least=1))

    assert figure.value is None
    assert figure.verdict == "not measured"


def test_bench_only_embedded_prints_the_table_and_exits_0(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["--root", str(ROOT), "bench", "--quick", "--only", "embedded"])

    out = capsys.readouterr().out
    assert status == 0
    assert out.startswith("harness bench (quick sizes, embedded)")
    assert "SDK events ingested" in out
    assert "Pipelines batch" not in out


def test_bench_only_an_unknown_name_exits_2_naming_the_choices(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status = main(["--root", str(ROOT), "bench", "--only", "embeded"])

    err = capsys.readouterr().err
    assert status == 2
    assert "--only embeded names no benchmark" in err
    assert "embedded, fuzz, served, memory, moto, webpush, matrix" in err


def test_a_family_that_cannot_run_says_why_and_exits_1(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv("HARNESS_NODE", str(tmp_path))  # no web-push-testing here

    status = main(["--root", str(ROOT), "bench", "--quick", "--only", "webpush"])

    out = capsys.readouterr().out
    assert status == 1
    assert "not measured: BenchError: web-push-testing is not installed" in out
