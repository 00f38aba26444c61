"""Rules for the shoppers' mobile browsers: browse, log in and out on the web.

:class:`BrowserSteps` is mixed into :class:`~harness.fuzz.machine.Journeys`.
A browser carries its own anonymous id (the ``ajs_anonymous_id`` cookie), so
what a shopper does on the web before logging in must join them when they
log in there, and what they do after logging out must not. The model keeps a
browser as a :class:`~harness.fuzz.model.BrowserState`; its captures count
in the same event invariants (I3, I4) as the phones'.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis.stateful import precondition, rule

from ..device.browser import EVENTS
from ..people import Shopper
from ..world import World
from .model import BrowserState, Model
from .strategies import picks, tracked

__all__ = ["BrowserSteps"]


class BrowserSteps:
    """The web steps; expects the machine's world, people, model and act."""

    world: World
    people: dict[str, Shopper]
    model: Model
    act: Callable[[str, Callable[[], Any]], tuple[bool, Any]]
    browsers: int = 2  # browsers in all

    @precondition(lambda self: len(self.model.browsers) < self.browsers)
    @rule(who=picks)
    def open_browser(self, who: int) -> None:
        """A person opens the shop in their phone's browser."""
        role = list(self.people)[who % len(self.people)]
        var, n = f"{role}_web", 1
        while var in self.model.browsers:
            n += 1
            var = f"{role}_web_{n}"
        shopper = self.people[role]
        _, made = self.act(
            f"{var} = world.mobile_browser({role})",
            lambda: self.world.mobile_browser(shopper),
        )
        session = self.model.new_session()
        self.model.browsers[var] = BrowserState(var, role, made, session=session)

    @precondition(lambda self: bool(self.model.browsers))
    @rule(pick=picks, action=tracked, product=picks)
    def browse(self, pick: int, action: str, product: int) -> None:
        """View a product or add it to the cart on the web."""
        state = self._browser(pick)
        keys = sorted(self.world.catalog.products)
        key = keys[product % len(keys)]
        item = self.world.catalog[key]
        ran, _ = self.act(
            f'{state.var}.{action}(world.catalog["{key}"])',
            lambda: getattr(state.browser, action)(item),
        )
        if ran:
            self.model.capture(state, EVENTS[action], self.world.clock.now())

    @precondition(lambda self: bool(self.model.browsers))
    @rule(pick=picks, who=picks)
    def web_log_in(self, pick: int, who: int) -> None:
        """Log in on the web as one of the people."""
        state = self._browser(pick)
        role = list(self.people)[who % len(self.people)]
        if state.identity is not None:
            return  # the shop's web page offers no login while logged in
        shopper = self.people[role]
        ran, _ = self.act(
            f"{state.var}.log_in({role})", lambda: state.browser.log_in(shopper)
        )
        if ran:
            self.model.log_in(state, role)

    @precondition(lambda self: bool(self.model.browsers))
    @rule(pick=picks)
    def web_log_out(self, pick: int) -> None:
        """Log out on the web: ``analytics.reset()`` makes a new anonymous id."""
        state = self._browser(pick)
        ran, _ = self.act(f"{state.var}.log_out()", state.browser.log_out)
        if ran:
            self.model.log_out(state)

    def _browser(self, pick: int) -> BrowserState:
        browsers = list(self.model.browsers.values())
        return browsers[pick % len(browsers)]
