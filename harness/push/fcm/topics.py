"""FCM topic names and conditions: which subscribed devices a topic send reaches.

A condition combines up to :data:`MAX_CONDITION_TOPICS` topics with ``&&``,
``||`` and ``!``, as in ``'a' in topics && ('b' in topics || 'c' in topics)``.
FCM evaluates parentheses first and then reads left to right, so ``&&`` and
``||`` bind equally: ``'a' in topics || 'b' in topics && 'c' in topics`` means
``('a' || 'b') && 'c'``.

Named policies where FCM's documents leave room: topic names in a condition
may be quoted with ``'`` or ``"``; ``!`` negates the term after it; ``!`` and
parentheses nest at most :data:`MAX_NESTING` deep; a topic name never carries
the ``/topics/`` prefix the legacy API used.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Set
from dataclasses import dataclass

from harness.push.fcm.errors import BadCondition

MAX_CONDITION_TOPICS = 5
MAX_NESTING = 50
TOPIC_NAME = re.compile(r"[a-zA-Z0-9\-_.~%]{1,900}")
_TOKEN = re.compile(
    r"\s*(?:(?P<op>&&|\|\|)|(?P<not>!)|(?P<open>\()|(?P<close>\))"
    r"|'(?P<single>[^']*)'|\"(?P<double>[^\"]*)\"|(?P<word>[A-Za-z]+))"
)

Test = Callable[[Set[str]], bool]


@dataclass(frozen=True)
class Condition:
    """A parsed topic condition: the topics it names and the test it applies."""

    text: str
    topics: tuple[str, ...]
    test: Test

    def matches(self, subscribed: Set[str]) -> bool:
        """Tell whether a device subscribed to ``subscribed`` receives the send."""
        return self.test(subscribed)


def valid_topic(name: str) -> bool:
    """Tell whether ``name`` is a topic name FCM accepts."""
    return TOPIC_NAME.fullmatch(name) is not None


def parse(text: str) -> Condition:
    """Parse ``text`` into a :class:`Condition`, or raise :class:`BadCondition`."""
    reader = _Reader(_tokens(text))
    test = reader.expression()
    extra = reader.peek()
    if extra is not None:
        raise BadCondition(
            f"the condition has {extra[1]!r} where it should end; "
            "join terms with && or ||."
        )
    topics = tuple(dict.fromkeys(reader.topics))
    if len(reader.topics) > MAX_CONDITION_TOPICS:
        raise BadCondition(
            f"the condition names {len(reader.topics)} topics; FCM allows at most "
            f"{MAX_CONDITION_TOPICS}. Split the send into several conditions."
        )
    return Condition(text, topics, test)


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens: list[tuple[str, str]] = []
    at = 0
    while text[at:].strip():
        match = _TOKEN.match(text, at)
        if match is None or match.lastgroup is None:
            raise BadCondition(
                f"the condition cannot be read at {text[at:].strip()[:20]!r}; "
                "write terms like 'news' in topics."
            )
        kind = match.lastgroup
        value = match.group(kind)
        if kind in ("single", "double"):
            kind = "topic"
        tokens.append((kind, value))
        at = match.end()
    return tokens


class _Reader:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self._tokens = tokens
        self._at = 0
        self._depth = 0
        self.topics: list[str] = []

    def peek(self) -> tuple[str, str] | None:
        return self._tokens[self._at] if self._at < len(self._tokens) else None

    def take(self, kind: str, what: str) -> str:
        token = self.peek()
        if token is None or token[0] != kind:
            found = f"{token[1]!r}" if token else "the end"
            raise BadCondition(f"the condition has {found} where {what} belongs.")
        self._at += 1
        return token[1]

    def expression(self) -> Test:
        test = self.term()
        while (token := self.peek()) is not None and token[0] == "op":
            self._at += 1
            test = _join(test, token[1], self.term())
        return test

    def term(self) -> Test:
        self._depth += 1
        if self._depth > MAX_NESTING:
            raise BadCondition(
                f"the condition nests ! and parentheses past {MAX_NESTING} levels."
            )
        try:
            return self._term()
        finally:
            self._depth -= 1

    def _term(self) -> Test:
        token = self.peek()
        if token is not None and token[0] == "not":
            self._at += 1
            inner = self.term()
            return lambda topics: not inner(topics)
        if token is not None and token[0] == "open":
            self._at += 1
            test = self.expression()
            self.take("close", "a closing parenthesis")
            return test
        return self.membership()

    def membership(self) -> Test:
        name = self.take("topic", "a quoted topic name")
        if not valid_topic(name):
            raise BadCondition(f"{name!r} is not a valid topic name.")
        if self.take("word", "'in topics'") != "in":
            raise BadCondition(f"write '{name}' in topics, with 'in'.")
        if self.take("word", "'topics'") != "topics":
            raise BadCondition(f"write '{name}' in topics, with 'topics'.")
        self.topics.append(name)
        return lambda topics: name in topics


def _join(left: Test, op: str, right: Test) -> Test:
    if op == "&&":
        return lambda topics: left(topics) and right(topics)
    return lambda topics: left(topics) or right(topics)
