"""Strategies for the machine's rule arguments, for subclasses to reuse.

Rules draw small integers (``picks``) and choose among the eligible phones,
people or products by position, so a shrunk example prefers the first of
each and every drawn value stays legal whatever the state.
"""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["messages", "minutes", "picks", "switches", "tracked"]

# A position among the eligible phones, people, profiles or products.
picks = st.integers(min_value=0, max_value=7)

# How long to let time pass: an SDK flush, a cart reminder's wait, hours.
minutes = st.sampled_from([1, 5, 31, 90])

# The transactional messages of fixtures/transactional/: one with data and a
# link, one plain (title and body only, field report FR-21).
messages = st.sampled_from(["order-shipped", "account-notice"])

# What a shopper does in the app that the app tracks.
tracked = st.sampled_from(["view", "add_to_cart"])

# A Settings toggle, or a build on a new push stack.
switches = st.booleans()
