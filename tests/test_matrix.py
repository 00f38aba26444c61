"""The matrix text: one layout of profile rows and numbered scenario columns."""

from __future__ import annotations

import re
import textwrap

from harness.runner.matrix import Cell, Outcome, render

SEVEN = [
    "android-12-samsung",
    "android-13-xiaomi",
    "android-14-pixel",
    "desktop-chrome",
    "ios-15-iphone",
    "ios-16-4-safari-webapp",
    "ios-17-iphone",
]


def cell(scenario: str, profile: str, outcome: Outcome, reason: str = "") -> Cell:
    return Cell(
        f"scenarios/s.py::{scenario}[{profile}]", scenario, profile, outcome, reason
    )


def grid(*rows: tuple[str, str], profiles: list[str]) -> list[Cell]:
    """Build cells from (scenario, one letter per profile: p, F, E, s or -)."""
    kinds: dict[str, Outcome] = {"p": "pass", "F": "FAIL", "E": "ERROR", "s": "skip"}
    return [
        cell(name, profile, kinds[letter], "why" if letter == "s" else "")
        for name, letters in rows
        for profile, letter in zip(profiles, letters, strict=True)
        if letter != "-"
    ]


def test_matrix_has_a_row_per_profile_and_a_numbered_column_per_scenario() -> None:
    cells = grid(("login", "pF"), ("logout", "ps"), profiles=["ios-17", "web"])

    assert render(cells, ["ios-17", "web"]) == textwrap.dedent("""\
        2 scenarios x 2 profiles: 2 pass, 1 FAIL, 1 skip

        profile  1      2
        ios-17   pass   pass
        web      FAIL   skip

        columns: 1 login  2 logout

        skipped (1 cell):
          - why
            on logout[web]

        failed (1 cell):
          scenarios/s.py::login[web]""")


def test_matrix_keeps_the_layout_for_all_seven_profiles() -> None:
    cells = grid(("reinstall", "ppppsps"), profiles=SEVEN)

    lines = render(cells, SEVEN).splitlines()

    assert lines[2:12] == [
        "profile                 1",
        "android-12-samsung      pass",
        "android-13-xiaomi       pass",
        "android-14-pixel        pass",
        "desktop-chrome          pass",
        "ios-15-iphone           skip",
        "ios-16-4-safari-webapp  pass",
        "ios-17-iphone           skip",
        "",
        "columns: 1 reinstall",
    ]
    assert max(map(len, lines)) <= 88


def test_matrix_names_long_scenarios_only_in_the_legend() -> None:
    name = "reinstall_before_the_send_reaches_the_new_install"
    cells = grid((name, "ppppppp"), ("short", "FFFFFFF"), profiles=SEVEN)

    lines = render(cells, SEVEN).splitlines()

    assert lines[2:5] == [
        "profile                 1      2",
        "android-12-samsung      pass   FAIL",
        "android-13-xiaomi       pass   FAIL",
    ]
    assert lines[11] == f"columns: 1 {name}  2 short"
    assert max(map(len, lines)) <= 88


def test_matrix_legend_wraps_between_entries_within_88_columns() -> None:
    names = [f"cart_recovery_step_{n}" for n in range(1, 10)]
    cells = [cell(name, "ios", "pass") for name in names]

    lines = render(cells, ["ios"]).splitlines()

    assert lines[2:4] == [
        "profile  1      2      3      4      5      6      7      8      9",
        "ios      pass   pass   pass   pass   pass   pass   pass   pass   pass",
    ]
    assert lines[5:] == [
        "columns: 1 cart_recovery_step_1  2 cart_recovery_step_2  "
        "3 cart_recovery_step_3",
        "         4 cart_recovery_step_4  5 cart_recovery_step_5  "
        "6 cart_recovery_step_6",
        "         7 cart_recovery_step_7  8 cart_recovery_step_8  "
        "9 cart_recovery_step_9",
    ]
    assert max(map(len, lines)) <= 88


def test_matrix_splits_into_blocks_of_columns_when_too_wide() -> None:
    profiles = [f"profile-{n:02}" for n in range(1, 21)]
    names = [f"a_scenario_whose_name_runs_on_and_on_{n}" for n in range(1, 21)]
    cells = [cell(name, p, "pass") for name in names for p in profiles]

    lines = render(cells, profiles).splitlines()
    heads = [x.split() for x in lines if x.split()[:1] in (["profile"], ["scenario"])]
    legend = lines[next(i for i, x in enumerate(lines) if x.startswith("columns:")) :]
    numbered = re.findall(r"(?:^|\s)(\d+) \S", " ".join(legend))

    assert max(map(len, lines)) <= 88
    assert len(heads) > 1
    assert [n for head in heads for n in head[1:]] == [str(n) for n in range(1, 21)]
    assert numbered == [str(n) for n in range(1, 21)]
    assert sum(line.split().count("pass") for line in lines) == 400


def test_matrix_keeps_profile_rows_when_split_into_blocks() -> None:
    names = [f"step_{n:02}" for n in range(1, 13)]
    cells = [cell(name, p, "pass") for name in names for p in ("ios", "web")]

    lines = render(cells, ["ios", "web"]).splitlines()

    heads = [i for i, line in enumerate(lines) if line.startswith("profile ")]
    assert len(heads) > 1
    assert all(lines[i + 1].split()[0] == "ios" for i in heads)
    assert all(lines[i + 2].split()[0] == "web" for i in heads)
    assert next(x for x in lines if x.startswith("columns:")).startswith(
        "columns: 1 step_01  2 step_02"
    )
    assert max(map(len, lines)) <= 88


def test_matrix_marks_cells_that_did_not_run() -> None:
    cells = grid(("login", "p-"), profiles=["ios", "web"])

    lines = render(cells, ["ios", "web"]).splitlines()

    assert lines[0] == "1 scenario x 2 profiles: 1 pass, 0 FAIL, 0 skip, 1 not run"
    assert lines[2:5] == ["profile  1", "ios      pass", "web      -"]


def test_matrix_names_a_shared_skip_reason_once_with_its_cells() -> None:
    why = "the appium driver cannot restore a backup"
    own = "login needs web_push; ios has native_app"
    cells = [
        cell("restore", "ios", "skip", why),
        cell("restore", "web", "skip", why),
        cell("login", "ios", "skip", own),
    ]

    text = render(cells, ["ios", "web"])

    assert text.split("\n\n")[3] == textwrap.dedent(f"""\
        skipped (3 cells):
          - {why}
            on restore[ios], restore[web]
          - {own}""")


def test_matrix_tells_same_named_scenarios_apart_by_node_id() -> None:
    cells = [
        Cell("scenarios/a.py::login[ios]", "login", "ios", "pass"),
        Cell("scenarios/b.py::login[ios]", "login", "ios", "FAIL"),
    ]

    lines = render(cells, ["ios"]).splitlines()

    assert lines[2:6] == [
        "profile  1      2",
        "ios      pass   FAIL",
        "",
        "columns: 1 scenarios/a.py::login  2 scenarios/b.py::login",
    ]


def test_matrix_shows_error_cells_apart_from_failures() -> None:
    cells = grid(("crashes", "Ep"), ("fails", "Fp"), profiles=["ios", "web"])

    assert render(cells, ["ios", "web"]) == textwrap.dedent("""\
        2 scenarios x 2 profiles: 2 pass, 1 FAIL, 1 ERROR, 0 skip

        profile  1      2
        ios      ERROR  FAIL
        web      pass   pass

        columns: 1 crashes  2 fails

        failed (2 cells):
          scenarios/s.py::crashes[ios]  (ERROR: the scenario raised)
          scenarios/s.py::fails[ios]""")


def test_matrix_totals_leave_out_error_when_there_is_none() -> None:
    cells = grid(("fails", "Fp"), profiles=["ios", "web"])

    totals = render(cells, ["ios", "web"]).splitlines()[0]

    assert totals == "1 scenario x 2 profiles: 1 pass, 1 FAIL, 0 skip"


def test_a_skip_reason_names_whole_profiles_and_one_profiles_scenarios_briefly() -> (
    None
):
    web, huawei = "needs native_app: no app here", "needs receives_push: no token"
    cells = [
        cell("login", "web", "skip", web),
        cell("cart", "web", "skip", web),
        cell("push", "web", "skip", web),
        cell("login", "huawei", "pass"),
        cell("cart", "huawei", "skip", huawei),
        cell("push", "huawei", "skip", huawei),
    ]

    text = render(cells, ["web", "huawei"])

    assert text.split("\n\n")[3] == textwrap.dedent(f"""\
        skipped (5 cells):
          - {web}
            on every scenario of web
          - {huawei}
            on huawei: cart, push""")


def test_what_the_checks_saw_is_grouped_by_text_with_its_profiles() -> None:
    cells = [
        Cell("s.py::a[ios]", "a", "ios", "pass", saw=("one device",)),
        Cell("s.py::a[web]", "a", "web", "pass", saw=("one device",)),
        Cell("s.py::a[and]", "a", "and", "pass", saw=("two devices",)),
    ]

    text = render(cells, ["ios", "web", "and"])

    assert text.split("\n\n")[-1] == textwrap.dedent("""\
        what the checks saw:
          a
            - one device
              on ios, web
            - two devices
              on and""")
