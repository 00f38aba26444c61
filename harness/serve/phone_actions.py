"""The app's screens as the control API offers them: one action per button.

``POST /_harness/phones/{id}/actions/<action>`` takes the form's fields: what
the shop UI's inputs held when the button was tapped (the harnessfake driver
sends them). A shopper is named by email (a name, an ``@`` and a domain;
surrounding spaces are dropped) and a product by SKU (or its key in
``fixtures/catalog.yaml``). ``start_checkout`` and ``complete_order`` without
a SKU use what the phone last added to its cart.

==========================  ===========================  =====================
action                      fields                       the phone does
==========================  ===========================  =====================
``log_in``                  email, password (unread)     log_in(shopper)
``create_account``          email, password (unread)     create_account
``log_out``                                              log_out
``view``                    sku                          view(product)
``add_to_cart``             sku, qty                     add_to_cart
``start_checkout``          sku, qty (both optional)     start_checkout
``complete_order``          sku, qty (both optional)     complete_order
``open_order_tracking``     email                        open_order_tracking
``request_permission``                                   the app asks now
==========================  ===========================  =====================
"""

from __future__ import annotations

from collections.abc import Callable

from .handset import Handset
from .phone_bodies import Body, check_fields, count_field, email_field, string_field
from .phones import PhoneRack

Action = Callable[[PhoneRack, Handset, Body], None]

EMAIL = {"email": "the shopper's email", "password": "typed, not checked"}
ITEM = {"sku": "a product's SKU", "qty": "how many, 1 to 99"}


def _email(rack: PhoneRack, body: Body, what: str) -> str:
    check_fields(body, EMAIL if what != "open_order_tracking" else TRACKING, what)
    return email_field(body, "email", what)


def _log_in(rack: PhoneRack, handset: Handset, body: Body) -> None:
    handset.log_in(rack.shopper(_email(rack, body, "log_in")))


def _create_account(rack: PhoneRack, handset: Handset, body: Body) -> None:
    handset.create_account(rack.shopper(_email(rack, body, "create_account")))


def _open_order_tracking(rack: PhoneRack, handset: Handset, body: Body) -> None:
    email = _email(rack, body, "open_order_tracking")
    handset.open_order_tracking(rack.shopper(email))


def _log_out(rack: PhoneRack, handset: Handset, body: Body) -> None:
    check_fields(body, {}, "log_out")
    handset.log_out()


def _request_permission(rack: PhoneRack, handset: Handset, body: Body) -> None:
    check_fields(body, {}, "request_permission")
    handset.request_permission()


def _view(rack: PhoneRack, handset: Handset, body: Body) -> None:
    check_fields(body, {"sku": ITEM["sku"]}, "view")
    sku = string_field(body, "sku", "view")
    assert sku is not None
    handset.view(rack.product(sku))


def _add_to_cart(rack: PhoneRack, handset: Handset, body: Body) -> None:
    check_fields(body, ITEM, "add_to_cart")
    sku = string_field(body, "sku", "add_to_cart")
    assert sku is not None
    handset.add_to_cart(rack.product(sku), count_field(body, "qty", "add_to_cart") or 1)


def _ordering(what: str) -> Action:
    def run(rack: PhoneRack, handset: Handset, body: Body) -> None:
        check_fields(body, ITEM, what)
        sku = string_field(body, "sku", what, required=False)
        product = rack.product(sku) if sku else None
        qty = count_field(body, "qty", what)
        if what == "start_checkout":
            handset.start_checkout(product, qty)
        else:
            handset.complete_order(product, qty)

    return run


TRACKING = {"email": "the email the shipping email went to"}
ACTIONS: dict[str, tuple[Action, dict[str, str], list[str], str]] = {
    "log_in": (_log_in, EMAIL, ["email"], "Sign in as the shopper with this email."),
    "create_account": (
        _create_account,
        EMAIL,
        ["email"],
        "Sign up as the shopper with this email.",
    ),
    "log_out": (_log_out, {}, [], "Sign out."),
    "view": (_view, {"sku": ITEM["sku"]}, ["sku"], "Open a product's page."),
    "add_to_cart": (_add_to_cart, ITEM, ["sku"], "Add a product to the cart."),
    "start_checkout": (
        _ordering("start_checkout"),
        ITEM,
        [],
        "Open the checkout (the cart's product unless a SKU is given).",
    ),
    "complete_order": (
        _ordering("complete_order"),
        ITEM,
        [],
        "Place the order (the cart's product unless a SKU is given).",
    ),
    "open_order_tracking": (
        _open_order_tracking,
        TRACKING,
        ["email"],
        "Open order tracking from the shipping email's link, signed in.",
    ),
    "request_permission": (
        _request_permission,
        {},
        [],
        "Have the app ask for notification permission now.",
    ),
}
