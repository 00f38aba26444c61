"""Campaign files report every problem at once; the engine runs journeys on time."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from harness.campaigns import Campaign, CampaignEngine, Rendered
from harness.errors import ConfigError
from harness.files import load_directory, load_model
from harness.workspace import (
    Caller,
    Device,
    Identify,
    Merge,
    Person,
    Ref,
    Track,
    Workspace,
)

ROOT = Path(__file__).resolve().parents[1]
CART = {
    "sku": "B-1",
    "name": "Trail Bundle",
    "items": [{"sku": "B-1", "name": "Trail Bundle"}],
}

BAD = """\
name: bad
colour: red
trigger: {event: added_to_cart, anonymous_window: soon}
steps:
  - wait: 30x
  - wait: 30m
    exit_if: {event: order_completed}
  - send:
      push:
        title: "Hi {{ customer.first_name "
        body: fine
"""


# -- files ---------------------------------------------------------------------------


@pytest.fixture
def campaigns_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work in tmp_path so problems name files as ``campaigns/x.yaml``."""
    monkeypatch.chdir(tmp_path)
    directory = tmp_path / "campaigns"
    directory.mkdir()
    return directory


def problems(error: ConfigError) -> dict[str, str]:
    return {p.path: p.message for p in error.problems}


def test_bad_campaign_reports_every_problem_in_one_error(campaigns_dir: Path) -> None:
    path = campaigns_dir / "bad.yaml"
    path.write_text(BAD)

    with pytest.raises(ConfigError) as caught:
        load_model(path, Campaign)

    found = problems(caught.value)
    assert set(found) == {
        "colour",
        "trigger.anonymous_window",
        "steps.0.wait",
        "steps.1",
        "steps.2.send.push.title",
    }
    assert "unknown key" in found["colour"]
    assert "'30x'" in found["steps.0.wait"]
    assert "'soon'" in found["trigger.anonymous_window"]
    assert "exactly one of wait, exit_if or send" in found["steps.1"]
    assert "wait, exit_if" in found["steps.1"]
    assert "Liquid" in found["steps.2.send.push.title"]


def test_each_problem_reads_file_key_path_message(campaigns_dir: Path) -> None:
    path = campaigns_dir / "bad.yaml"
    path.write_text(BAD)

    with pytest.raises(ConfigError) as caught:
        load_model(path, Campaign)

    lines = str(caught.value).splitlines()
    assert len(lines) == 5
    for line, problem in zip(lines, caught.value.problems, strict=True):
        assert line == f"campaigns/bad.yaml: {problem.path}: {problem.message}"


def test_directory_load_reports_problems_of_every_file_at_once(
    campaigns_dir: Path,
) -> None:
    (campaigns_dir / "bad.yaml").write_text(BAD)
    (campaigns_dir / "worse.yaml").write_text("name: worse\nsteps: []\n")

    with pytest.raises(ConfigError) as caught:
        load_directory(campaigns_dir, Campaign)

    files = {p.file for p in caught.value.problems}
    assert files == {"campaigns/bad.yaml", "campaigns/worse.yaml"}
    assert "trigger" in problems(caught.value)


def test_send_step_without_a_message_is_a_problem(campaigns_dir: Path) -> None:
    path = campaigns_dir / "empty.yaml"
    path.write_text("name: e\ntrigger: {event: x}\nsteps:\n  - send: {}\n")

    with pytest.raises(ConfigError) as caught:
        load_model(path, Campaign)

    assert "push, otherwise_email or both" in str(caught.value)


def campaign_with_push_body(body: str) -> str:
    """Return a campaign file whose one push step has ``body``."""
    return (
        "name: c\ntrigger: {event: added_to_cart}\nsteps:\n"
        f"  - send:\n      push: {{title: Hi, body: '{body}'}}\n"
    )


def test_unknown_liquid_filter_is_a_problem_suggesting_the_near_one(
    campaigns_dir: Path,
) -> None:
    path = campaigns_dir / "c.yaml"
    path.write_text(campaign_with_push_body("{{ customer.first_name | capitalise }}"))

    with pytest.raises(ConfigError) as caught:
        load_model(path, Campaign)

    message = problems(caught.value)["steps.0.send.push.body"]
    assert "'capitalise'" in message
    assert "did you mean capitalize?" in message


def test_include_tag_is_refused_at_load(campaigns_dir: Path) -> None:
    path = campaigns_dir / "c.yaml"
    path.write_text(campaign_with_push_body('{% include "x" %}'))

    with pytest.raises(ConfigError) as caught:
        load_model(path, Campaign)

    assert "cannot include" in problems(caught.value)["steps.0.send.push.body"]


def test_shipped_campaigns_load() -> None:
    loaded = load_directory(ROOT / "fixtures" / "campaigns", Campaign)

    assert loaded["cart-recovery"].trigger.anonymous_window == timedelta(hours=72)


# -- engine --------------------------------------------------------------------------


@dataclass
class FakeMessenger:
    """Record what journeys send instead of sending it."""

    sent: list[tuple[str, str, list[str], Rendered]] = field(default_factory=list)

    def push(
        self, person: Person, devices: list[Device], message: Rendered, campaign: str
    ) -> None:
        self.sent.append(("push", person.label, [d.token for d in devices], message))

    def email(self, person: Person, message: Rendered, campaign: str) -> None:
        self.sent.append(("email", person.label, [], message))


@dataclass
class Rig:
    workspace: Workspace
    messenger: FakeMessenger
    engine: CampaignEngine

    def call(
        self,
        user: str | None = None,
        anon: str | None = None,
        ago: timedelta = timedelta(0),
        token: str | None = None,
    ) -> Caller:
        context = {"device": {"token": token, "type": "ios"}} if token else {}
        at = self.workspace.clock.now() - ago
        return Caller(user, anon, None, at, context)

    def identify(self, user: str, anon: str | None = None, **traits: Any) -> None:
        self.workspace.apply(Identify(self.call(user, anon), traits))

    def track(
        self,
        name: str,
        user: str | None = "u-1",
        anon: str | None = None,
        ago: timedelta = timedelta(0),
        properties: dict[str, Any] | None = None,
    ) -> None:
        call = Track(self.call(user, anon, ago), name, dict(properties or {}))
        self.workspace.apply(call)

    def device(self, token: str, enabled: bool, user: str = "u-1") -> None:
        properties = {"push_enabled": "true" if enabled else "false"}
        self.workspace.apply(
            Track(self.call(user, token=token), "Device Created or Updated", properties)
        )

    def advance(self, **units: float) -> None:
        self.workspace.clock.advance(**units)


@pytest.fixture
def rig(workspace: Workspace) -> Rig:
    campaign = load_model(
        ROOT / "fixtures" / "campaigns" / "cart-recovery.yaml", Campaign
    )
    messenger = FakeMessenger()
    engine = CampaignEngine(workspace, [campaign], messenger)
    return Rig(workspace, messenger, engine)


def test_journey_waits_before_sending(rig: Rig) -> None:
    rig.identify("u-1", first_name="Ann")
    rig.device("tok-on", enabled=True)
    rig.track("added_to_cart", properties=CART)

    rig.advance(minutes=29)
    assert rig.messenger.sent == []

    rig.advance(minutes=1)
    assert [(kind, who) for kind, who, _, _ in rig.messenger.sent] == [("push", "u-1")]


def test_exit_event_after_the_trigger_ends_the_journey(rig: Rig) -> None:
    rig.identify("u-1")
    rig.device("tok-on", enabled=True)
    rig.track("added_to_cart", properties=CART)
    rig.advance(minutes=10)
    rig.track("order_completed")

    rig.advance(hours=1)

    assert rig.messenger.sent == []
    assert rig.engine.journeys[0].done


def test_late_exit_event_stamped_before_the_send_ends_the_journey(rig: Rig) -> None:
    rig.identify("u-1")
    rig.device("tok-on", enabled=True)
    rig.track("added_to_cart", properties=CART)
    rig.advance(minutes=29)

    rig.track("order_completed", ago=timedelta(minutes=20))
    rig.advance(hours=1)

    assert rig.messenger.sent == []


def test_exit_event_before_the_trigger_does_not_end_the_journey(rig: Rig) -> None:
    rig.identify("u-1")
    rig.device("tok-on", enabled=True)
    rig.track("order_completed")
    rig.advance(minutes=1)
    rig.track("added_to_cart", properties=CART)

    rig.advance(hours=1)

    assert [kind for kind, *_ in rig.messenger.sent] == ["push"]


def test_push_goes_only_to_push_enabled_devices(rig: Rig) -> None:
    rig.identify("u-1")
    rig.device("tok-on", enabled=True)
    rig.device("tok-off", enabled=False)
    rig.track("added_to_cart", properties=CART)

    rig.advance(hours=1)

    [(kind, _, tokens, _)] = rig.messenger.sent
    assert (kind, tokens) == ("push", ["tok-on"])


def test_no_push_enabled_device_falls_back_to_email(rig: Rig) -> None:
    rig.identify("u-1", email="ann@example.com")
    rig.device("tok-off", enabled=False)
    rig.track("added_to_cart", properties=CART)

    rig.advance(hours=1)

    [(kind, who, _, message)] = rig.messenger.sent
    assert (kind, who) == ("email", "u-1")
    assert message.title == "You left Trail Bundle in your cart"


def test_templates_render_with_event_and_customer(rig: Rig) -> None:
    rig.identify("u-1", first_name="Ann")
    rig.device("tok-on", enabled=True)
    rig.track("added_to_cart", properties=CART)

    rig.advance(hours=1)

    message = rig.messenger.sent[0][3]
    assert message.body == "Your Trail Bundle is waiting in your cart."
    assert message.link == "shop://cart?sku=B-1"


def test_email_template_reads_the_customer(rig: Rig) -> None:
    rig.identify("u-1", first_name="Ann")
    rig.track("added_to_cart", properties=CART)

    rig.advance(hours=1)

    assert rig.messenger.sent[0][3].body == "Hi Ann, your cart is saved."


def test_person_enters_at_most_once_while_active(rig: Rig) -> None:
    rig.identify("u-1")
    rig.track("added_to_cart", properties=CART)
    rig.advance(minutes=5)
    rig.track("added_to_cart", properties=CART)

    rig.advance(hours=1)

    assert len(rig.engine.journeys) == 1
    assert len(rig.messenger.sent) == 1


def test_person_enters_again_once_the_journey_is_done(rig: Rig) -> None:
    rig.identify("u-1")
    rig.track("added_to_cart", properties=CART)
    rig.advance(hours=1)

    rig.track("added_to_cart", properties=CART)
    rig.advance(hours=1)

    assert len(rig.engine.journeys) == 2
    assert len(rig.messenger.sent) == 2


def test_anonymous_trigger_alone_starts_no_journey(rig: Rig) -> None:
    rig.track("added_to_cart", user=None, anon="anon-1", properties=CART)

    rig.advance(hours=1)

    assert rig.engine.journeys == []


def test_stitched_anonymous_trigger_within_72_hours_starts_a_journey(rig: Rig) -> None:
    rig.track(
        "added_to_cart",
        user=None,
        anon="anon-1",
        ago=timedelta(hours=71),
        properties=CART,
    )

    rig.identify("u-1", anon="anon-1")
    rig.advance(hours=1)

    [journey] = rig.engine.journeys
    assert (journey.person.label, journey.trigger.name) == ("u-1", "added_to_cart")
    assert [kind for kind, *_ in rig.messenger.sent] == ["email"]


def test_stitched_anonymous_trigger_older_than_72_hours_starts_none(rig: Rig) -> None:
    rig.track(
        "added_to_cart",
        user=None,
        anon="anon-1",
        ago=timedelta(hours=73),
        properties=CART,
    )

    rig.identify("u-1", anon="anon-1")
    rig.advance(hours=1)

    assert rig.engine.journeys == []
    assert [e.name for e in rig.workspace.events_of(rig.workspace.find("u-1"))] == [
        "added_to_cart"
    ]


def test_render_failure_ends_the_journey_journaled_and_sends_nothing(
    workspace: Workspace,
) -> None:
    campaign = Campaign.model_validate(
        {
            "name": "divides",
            "trigger": {"event": "added_to_cart"},
            "steps": [
                {"wait": "30m"},
                {"send": {"push": {"title": "Hi", "body": "{{ 10 | divided_by: 0 }}"}}},
            ],
        }
    )
    messenger = FakeMessenger()
    engine = CampaignEngine(workspace, [campaign], messenger)
    rig = Rig(workspace, messenger, engine)
    rig.identify("u-1")
    rig.device("tok-on", enabled=True)
    rig.track("added_to_cart", properties=CART)

    rig.advance(hours=1)

    assert messenger.sent == []
    [journey] = engine.journeys
    assert journey.done
    assert "message failed to render" in journey.log[-1]
    assert any("message failed to render" in e.text for e in workspace.journal)


def test_stitched_trigger_older_than_the_window_journals_not_entered(
    rig: Rig,
) -> None:
    rig.track(
        "added_to_cart",
        user=None,
        anon="anon-1",
        ago=timedelta(hours=73),
        properties=CART,
    )

    rig.identify("u-1", anon="anon-1")

    person = rig.workspace.find("u-1")
    assert person is not None
    [entry] = [e for e in rig.workspace.journal if "not entered" in e.text]
    assert (entry.layer, entry.person) == ("campaign", person.cio_id)
    assert "'cart-recovery'" in entry.text and "older than" in entry.text
    assert rig.engine.journeys == []


def test_deleted_person_leaves_the_journey_and_gets_nothing(rig: Rig) -> None:
    rig.identify("u-1")
    rig.device("tok-on", enabled=True)
    rig.track("added_to_cart", properties=CART)

    rig.track("User Deleted")
    rig.advance(minutes=31)

    assert rig.messenger.sent == []
    assert "the profile was deleted" in rig.engine.journeys[0].log[-1]


def test_merge_moves_the_secondarys_journey_to_the_primary(rig: Rig) -> None:
    rig.identify("u-1")
    rig.identify("u-2")
    rig.device("tok-2", enabled=True, user="u-2")
    rig.track("added_to_cart", user="u-2", properties=CART)

    rig.workspace.perform(Merge(Ref("id", "u-1"), Ref("id", "u-2")))
    rig.advance(minutes=31)

    assert [(kind, who) for kind, who, _, _ in rig.messenger.sent] == [("push", "u-1")]
