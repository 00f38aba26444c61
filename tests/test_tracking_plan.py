"""The tracking plan: its file, the audit's findings, and harness validate."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

from harness.apps import Events, EventSpec
from harness.cli import main
from harness.device.phone import EmulatedPhone
from harness.errors import ConfigError
from harness.tracking import (
    BUILTIN_EVENTS,
    Finding,
    Sent,
    TrackingPlan,
    audit,
    load_plan,
)
from harness.world import World
from tests.conftest import ROOT, MakeWorld

CART = {"sku": "S-1", "name": "Socks", "price": 9.5, "qty": 1}
PLAN = """\
events:
  added_to_cart:
    properties: {sku: string, name: string, price: number, qty: integer}
  order_completed:
    properties: [cart_total, items]
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path so problems and findings name fixtures/tracking-plan.yaml."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "fixtures").mkdir()
    return tmp_path


def write_plan(root: Path, text: str) -> Path:
    path = root / "fixtures" / "tracking-plan.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems(root: Path, text: str) -> list[str]:
    write_plan(root, text)
    with pytest.raises(ConfigError) as caught:
        load_plan(root)
    return str(caught.value).splitlines()


def plan(text: str = PLAN) -> TrackingPlan:
    """Return a plan loaded from a file, so findings name it."""
    root = Path.cwd()
    write_plan(root, text)
    loaded = load_plan(root)
    assert loaded is not None
    return loaded


def kinds(findings: list[Finding]) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(f.kind, f.event, f.properties) for f in findings]


# -- loading -------------------------------------------------------------------


def test_shipped_plan_lists_the_shopping_events_with_types() -> None:
    shipped = load_plan(ROOT)

    assert shipped is not None
    assert list(shipped.events) == [
        "product_viewed",
        "added_to_cart",
        "checkout_started",
        "order_completed",
    ]
    assert shipped.events["added_to_cart"].properties == {
        "sku": "string",
        "name": "string",
        "price": "number",
        "qty": "integer",
    }


def test_a_project_without_a_plan_file_has_no_plan(project: Path) -> None:
    assert load_plan(project) is None


def test_a_list_of_properties_requires_them_without_types(project: Path) -> None:
    loaded = plan()

    assert loaded.events["order_completed"].properties == {
        "cart_total": "any",
        "items": "any",
    }


def test_an_event_with_nothing_under_it_requires_no_properties(
    project: Path,
) -> None:
    loaded = plan("events:\n  wishlist_added:\n")

    assert loaded.events["wishlist_added"].properties == {}


def test_a_plan_loaded_from_a_file_names_it(project: Path) -> None:
    assert plan().source == "the tracking plan (fixtures/tracking-plan.yaml)"


def test_a_plan_built_in_code_names_no_file() -> None:
    built = TrackingPlan.model_validate({"events": {"added_to_cart": None}})

    assert built.source == "the tracking plan"


FILE = "fixtures/tracking-plan.yaml"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            "",
            "(document): the file is empty; a tracking plan is a mapping of keys "
            "such as events.",
            id="empty-file",
        ),
        pytest.param("{}\n", "events: is required; add it.", id="no-events"),
        pytest.param(
            "events: {}\nevent: {}\n",
            "event: unknown key; did you mean events? Allowed here: events.",
            id="unknown-top-key",
        ),
        pytest.param(
            "events: [added_to_cart]\n",
            "events: expected a mapping of keys, got a list.",
            id="events-as-list",
        ),
        pytest.param(
            "events: {Application Opened: {}}\n",
            "events.Application Opened: 'Application Opened' is one of the SDK's "
            "own events, which every plan allows; remove it from the plan.",
            id="builtin-listed",
        ),
        pytest.param(
            "events: {'': {}}\n",
            "events.: an event name is blank; name the event.",
            id="blank-name",
        ),
        pytest.param(
            "events: {' added_to_cart': {}}\n",
            "events. added_to_cart: ' added_to_cart' has spaces at its ends; "
            "remove them.",
            id="spaced-name",
        ),
        pytest.param(
            "events: {1: {}}\n",
            "events.1: event names are text, not the number 1; put the name in quotes.",
            id="number-name",
        ),
        pytest.param(
            "events: {added_to_cart: [sku]}\n",
            "events.added_to_cart: expected a mapping of keys, got a list.",
            id="event-as-list",
        ),
        pytest.param(
            "events: {added_to_cart: {propeties: [sku]}}\n",
            "events.added_to_cart.propeties: unknown key; did you mean "
            "properties? Allowed here: description, properties.",
            id="unknown-event-key",
        ),
        pytest.param(
            "events: {added_to_cart: {properties: {price: money}}}\n",
            "events.added_to_cart.properties.price: 'money' is not one of "
            "string, number, integer, boolean, array, object, any.",
            id="unknown-type",
        ),
        pytest.param(
            "events: {added_to_cart: {properties: {'': string}}}\n",
            "events.added_to_cart.properties.: a property name is blank; name "
            "every property.",
            id="blank-property",
        ),
        pytest.param(
            "events: {added_to_cart: {properties: {3: string}}}\n",
            "events.added_to_cart.properties.3: expected text (in quotes), got "
            "the number 3.",
            id="number-property",
        ),
        pytest.param(
            "events: {added_to_cart: {properties: [sku, qty, sku]}}\n",
            "events.added_to_cart.properties: sku listed twice; list each once.",
            id="repeated-property",
        ),
        pytest.param(
            "events: {added_to_cart: {properties: [sku, 7]}}\n",
            "events.added_to_cart.properties: property names are text, not the "
            "number 7; write each in quotes.",
            id="number-in-list",
        ),
        pytest.param(
            "events: {added_to_cart: {properties: sku}}\n",
            "events.added_to_cart.properties: expected a mapping of keys, got "
            "the text 'sku'.",
            id="properties-as-text",
        ),
        pytest.param(
            "events: {added_to_cart: {description: 5}}\n",
            "events.added_to_cart.description: expected text (in quotes), got "
            "the number 5.",
            id="description-not-text",
        ),
    ],
)
def test_a_broken_plan_names_file_key_and_fix(
    project: Path, text: str, expected: str
) -> None:
    assert problems(project, text) == [f"{FILE}: {expected}"]


def test_every_problem_in_the_plan_is_reported_at_once(project: Path) -> None:
    found = problems(
        project,
        """\
        events:
          Device Deleted: {}
          added_to_cart:
            properties: {sku: text, qty: int}
          order_completed: {properties: [items, items]}
        """,
    )

    assert found == [
        f"{FILE}: events.Device Deleted: 'Device Deleted' is one of the SDK's own "
        "events, which every plan allows; remove it from the plan.",
        f"{FILE}: events.added_to_cart.properties.sku: 'text' is not one of "
        "string, number, integer, boolean, array, object, any.",
        f"{FILE}: events.added_to_cart.properties.qty: 'int' is not one of "
        "string, number, integer, boolean, array, object, any (did you mean "
        "integer?).",
        f"{FILE}: events.order_completed.properties: items listed twice; list "
        "each once.",
    ]


# -- the audit -----------------------------------------------------------------


def test_planned_events_with_their_properties_pass(project: Path) -> None:
    sent = [
        Sent("added_to_cart", {**CART, "currency": "USD"}),
        Sent("order_completed", {"cart_total": 9.5, "items": [CART]}),
    ]

    assert audit(plan(), sent) == []


def test_the_sdks_own_events_need_no_plan_entry(project: Path) -> None:
    sent = [Sent(name, {}) for name in sorted(BUILTIN_EVENTS)]

    assert audit(plan("events: {}\n"), sent) == []


def test_an_event_off_the_plan_is_unknown(project: Path) -> None:
    [finding] = audit(plan(), [Sent("wishlist_added")])

    assert finding == Finding(
        "unknown_event",
        "wishlist_added",
        (),
        "wishlist_added is not in the tracking plan (fixtures/tracking-plan.yaml); "
        "add it to the plan, or stop sending it.",
    )


@pytest.mark.parametrize(
    "spelling",
    ["add_to_cart", "AddedToCart", "Added To Cart", "addToCart", "added-to-cart"],
)
def test_a_respelling_of_a_planned_name_is_a_near_duplicate(
    project: Path, spelling: str
) -> None:
    [finding] = audit(plan(), [Sent(spelling, CART)])

    assert finding == Finding(
        "near_duplicate",
        spelling,
        (),
        f"{spelling} is not in the tracking plan (fixtures/tracking-plan.yaml) "
        f"but is close to added_to_cart; send added_to_cart instead, or add "
        f"{spelling} to the plan if it is a different event.",
    )


@pytest.mark.parametrize(
    ("sent", "close"),
    [
        ("cart_added_to", "added_to_cart"),
        ("order_complete", "order_completed"),
        ("application_opened", "Application Opened"),
    ],
)
def test_reordered_words_shortened_names_and_sdk_events_are_near_duplicates(
    project: Path, sent: str, close: str
) -> None:
    [finding] = audit(plan(), [Sent(sent)])

    assert (finding.kind, finding.event) == ("near_duplicate", sent)
    assert f"close to {close};" in finding.text


@pytest.mark.parametrize(
    ("planned", "sent"),
    [
        ("added_to_cart", "order_completed"),
        ("order_completed", "order_created"),
        ("checkout_started", "checkout_completed"),
        ("added_to_cart", "added_to_wishlist"),
    ],
)
def test_a_different_event_is_not_a_near_duplicate(
    project: Path, planned: str, sent: str
) -> None:
    findings = audit(plan(f"events: {{{planned}: {{}}}}\n"), [Sent(sent)])

    assert kinds(findings) == [("unknown_event", sent, ())]


def test_missing_properties_are_named_with_what_the_plan_requires(
    project: Path,
) -> None:
    sent = Sent("added_to_cart", {"name": "Socks", "qty": 1})

    [finding] = audit(plan(), [sent])

    assert finding == Finding(
        "missing_property",
        "added_to_cart",
        ("sku", "price"),
        "added_to_cart lacks sku and price; the tracking plan "
        "(fixtures/tracking-plan.yaml) requires sku, name, price, qty: send them "
        "on every added_to_cart.",
    )


def test_one_missing_property_asks_for_it(project: Path) -> None:
    sent = Sent("order_completed", {"items": []})

    [finding] = audit(plan(), [sent])

    assert finding.text == (
        "order_completed lacks cart_total; the tracking plan "
        "(fixtures/tracking-plan.yaml) requires cart_total, items: send it on every "
        "order_completed."
    )


def test_a_null_property_counts_as_missing(project: Path) -> None:
    sent = Sent("added_to_cart", {**CART, "sku": None})

    assert kinds(audit(plan(), [sent])) == [
        ("missing_property", "added_to_cart", ("sku",))
    ]


def test_a_property_of_the_wrong_type_names_what_to_send(project: Path) -> None:
    sent = Sent("added_to_cart", {**CART, "price": "9.50"})

    [finding] = audit(plan(), [sent])

    assert finding == Finding(
        "wrong_type",
        "added_to_cart",
        ("price",),
        "added_to_cart's price is the text '9.50', not a number; the tracking "
        "plan (fixtures/tracking-plan.yaml) types price as number: send a number.",
    )


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        ("string", "S-1", 7),
        ("number", 9.5, True),
        ("number", 9, "9"),
        ("integer", 2, 1.5),
        ("integer", 2.0, "2"),
        ("integer", -3, False),
        ("boolean", False, 0),
        ("array", [1], {"a": 1}),
        ("array", [], "[]"),
        ("object", {"a": 1}, [1]),
        ("any", [], None),
    ],
)
def test_each_type_takes_its_values_and_refuses_others(
    project: Path, kind: str, good: Any, bad: Any
) -> None:
    typed = plan(f"events: {{e: {{properties: {{p: {kind}}}}}}}\n")

    assert audit(typed, [Sent("e", {"p": good})]) == []
    [finding] = audit(typed, [Sent("e", {"p": bad})])
    expected = "missing_property" if bad is None else "wrong_type"
    assert (finding.kind, finding.properties) == (expected, ("p",))


def test_a_finding_is_reported_once_per_kind_event_and_properties(
    project: Path,
) -> None:
    sent = [
        Sent("add_to_cart", CART),
        Sent("added_to_cart", {"name": "Socks", "qty": 1}),
        Sent("add_to_cart", CART),
        Sent("added_to_cart", {"name": "Socks", "qty": "1"}),
        Sent("added_to_cart", {"name": "Socks", "qty": 2}),
        Sent("added_to_cart", {**CART, "sku": None, "qty": "3"}),
    ]

    findings = audit(plan(), sent)

    assert kinds(findings) == [
        ("near_duplicate", "add_to_cart", ()),
        ("missing_property", "added_to_cart", ("sku", "price")),
        ("wrong_type", "added_to_cart", ("qty",)),
        ("missing_property", "added_to_cart", ("sku",)),
    ]
    assert "qty is the text '1'," in findings[2].text  # the first one seen


class Record:
    """A stored event of some kind, as the workspace keeps screens and pages."""

    def __init__(self, kind: str, name: str) -> None:
        self.kind, self.name = kind, name
        self.properties: dict[str, Any] = {}


def test_screen_and_page_views_are_not_audited(project: Path) -> None:
    records = [Record("screen", "Cart"), Record("page", "/"), Record("track", "x")]

    assert kinds(audit(plan(), records)) == [("unknown_event", "x", ())]


# -- the reference app ---------------------------------------------------------


def shop_on_phone(world: World) -> list[str]:
    """Buy socks on the phone the reference way; return the events' names."""
    shopper, socks = world.shopper(), world.catalog["socks"]
    phone = world.device(shopper)
    assert isinstance(phone, EmulatedPhone)
    phone.install(world.app)
    phone.launch()
    phone.log_in(shopper)
    phone.view(socks)
    phone.add_to_cart(socks, qty=2)
    phone.start_checkout(socks, qty=2)
    phone.complete_order(socks, qty=2)
    phone.background()
    return [e.name for e in profile_events(world)]


def profile_events(world: World) -> list[Any]:
    person = world.profile_of(world.shopper())
    assert person is not None
    return world.workspace.events_of(person)


@pytest.mark.parametrize("device", ["ios-17-iphone", "android-14-pixel"])
def test_the_reference_app_follows_the_shipped_plan(
    make_world: MakeWorld, device: str
) -> None:
    world = make_world(device)
    shipped = load_plan(ROOT)
    assert shipped is not None

    names = shop_on_phone(world)

    assert {"product_viewed", "added_to_cart", "checkout_started"} <= set(names)
    assert "order_completed" in names
    assert audit(shipped, profile_events(world)) == []


def test_the_web_shop_follows_the_shipped_plan(make_world: MakeWorld) -> None:
    world = make_world("desktop-chrome")
    shopper, socks = world.shopper(), world.catalog["socks"]
    browser = world.device(shopper)
    browser.install(world.app)
    browser.launch()
    browser.log_in(shopper)
    browser.view(socks)
    browser.add_to_cart(socks)
    browser.complete_order(socks)
    shipped = load_plan(ROOT)
    assert shipped is not None

    events = profile_events(world)

    assert {"product_viewed", "added_to_cart", "order_completed"} <= {
        e.name for e in events
    }
    assert audit(shipped, events) == []


def test_an_app_that_misnames_and_strips_its_events_strays_from_the_plan(
    make_world: MakeWorld, apps: dict[str, Any]
) -> None:
    events = Events(
        add_to_cart=EventSpec(name="add_to_cart"),
        order_completed=EventSpec(name="order_completed", properties=("items",)),
    )
    world = make_world(
        "ios-17-iphone", apps["reference"].model_copy(update={"events": events})
    )
    shipped = load_plan(ROOT)
    assert shipped is not None

    shop_on_phone(world)

    assert kinds(audit(shipped, profile_events(world))) == [
        ("near_duplicate", "add_to_cart", ()),
        ("missing_property", "order_completed", ("cart_total",)),
    ]


# -- harness validate ----------------------------------------------------------


def harness(capsys: pytest.CaptureFixture[str], root: Path) -> str:
    status = main(["--root", str(root), "validate"])
    out, err = capsys.readouterr()
    return f"exit {status}\n--- stdout\n{out}--- stderr\n{err}"


def test_validate_counts_the_planned_events_of_the_shipped_project(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)

    output = harness(capsys, ROOT)

    assert output.startswith("exit 0\n--- stdout\nok: ")
    assert ", 4 planned events, " in output


@pytest.fixture
def shipped_copy(project: Path) -> Path:
    """A copy of the shipped project's files in tmp_path, the working directory."""
    for folder in ("device-profiles", "fixtures", "scenarios"):
        for source in (ROOT / folder).rglob("*"):
            target = project / source.relative_to(ROOT)
            if source.is_dir() or "__pycache__" in source.parts:
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(source.read_bytes())
    return project


def test_validate_reports_a_broken_plan_with_the_other_files_problems(
    shipped_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_plan(shipped_copy, "events:\n  added_to_cart: {properties: {qty: int}}\n")

    output = harness(capsys, shipped_copy)

    assert output == textwrap.dedent("""\
        exit 2
        --- stdout
        fixtures/tracking-plan.yaml: events.added_to_cart.properties.qty: 'int' is not one of string, number, integer, boolean, array, object, any (did you mean integer?).

        1 problem in 1 file; fix them and run harness validate again.
        --- stderr
        """)  # noqa: E501


def test_validate_without_a_plan_neither_audits_nor_mentions_one(
    shipped_copy: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (shipped_copy / "fixtures" / "tracking-plan.yaml").unlink()

    output = harness(capsys, shipped_copy)

    assert output.startswith("exit 0\n--- stdout\nok: ")
    assert "planned event" not in output
