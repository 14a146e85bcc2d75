"""Requirement expressions: a tokenizer and a recursive-descent parser compiled to closures.

Grammar (``not``, ``and``, ``or`` from tightest to loosest)::

    expression := conjunction ("or" conjunction)*
    conjunction := negation ("and" negation)*
    negation := "not" negation | "(" expression ")" | "true" | "false" | comparison
    comparison := operand OP operand | operand ["not"] "in" "[" literal ("," literal)* "]"

A bare name is an agent attribute (``language``, ``region``, ``team``) or, for any other
name, a skill level (a missing skill is 0); ``channel``, ``priority`` and ``case.<field>``
are the case's. ``language == "da"`` means the agent speaks Danish.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Protocol

__all__ = [
    "AgentFacts",
    "Atom",
    "CaseFacts",
    "ExpressionError",
    "Requirement",
    "compile_requirement",
]


class AgentFacts(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def skills(self) -> dict[str, int]: ...
    @property
    def languages(self) -> frozenset[str]: ...
    @property
    def region(self) -> str: ...
    @property
    def team(self) -> str: ...


class CaseFacts(Protocol):
    @property
    def language(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def channel(self) -> str: ...
    @property
    def priority(self) -> int: ...
    @property
    def department(self) -> str: ...


class ExpressionError(ValueError):
    """A requirement expression that cannot be parsed; ``column`` is 1-based."""

    def __init__(self, message: str, *, source: str, column: int) -> None:
        super().__init__(f"{message} at column {column}")
        self.reason = message
        self.source = source
        self.column = column


class Kind(Enum):
    NUMBER = "number"
    TEXT = "text"
    LANGUAGES = "languages"


Predicate = Callable[[Any, Any], bool]
Getter = Callable[[Any, Any], Any]

AGENT_TEXT_FIELDS = {"region": "region", "team": "team"}
CASE_FIELDS: dict[str, tuple[str, Kind]] = {
    "channel": ("channel", Kind.TEXT),
    "priority": ("priority", Kind.NUMBER),
    "case.channel": ("channel", Kind.TEXT),
    "case.priority": ("priority", Kind.NUMBER),
    "case.language": ("language", Kind.TEXT),
    "case.region": ("region", Kind.TEXT),
    "case.department": ("department", Kind.TEXT),
}
KEYWORDS = {"and", "or", "not", "in", "true", "false"}
MAX_LENGTH = 2000
MAX_DEPTH = 40
ORDERING = {"<", "<=", ">", ">="}
TOKEN_PATTERN = re.compile(
    r"""
    (?P<space>\s+)
    |(?P<number>\d+(?:\.\d+)?)
    |(?P<string>"[^"\\]*"|'[^'\\]*')
    |(?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
    |(?P<op>==|!=|>=|<=|>|<)
    |(?P<punct>[()\[\],])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    position = 0
    while position < len(source):
        match = TOKEN_PATTERN.match(source, position)
        if match is None:
            raise ExpressionError(
                f"unexpected character {source[position]!r}", source=source, column=position + 1
            )
        kind = match.lastgroup or ""
        text = match.group()
        if (kind == "name" and text in KEYWORDS) or kind in {"op", "punct"}:
            kind = text
        if kind != "space":
            tokens.append(Token(kind, text, position))
        position = match.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


@dataclass(frozen=True, slots=True)
class Atom:
    """One comparison of the expression, kept with its source text for explanations."""

    text: str
    test: Predicate


@dataclass(frozen=True, slots=True)
class Operand:
    kind: Kind
    get: Getter
    case_field: str | None = None
    constant: Any = None
    is_literal: bool = False


@dataclass(frozen=True)
class Requirement:
    """A compiled requirement over an agent and a case."""

    source: str
    test: Predicate
    atoms: tuple[Atom, ...]
    case_fields: tuple[str, ...]
    agent_free: bool

    def matches(self, agent: AgentFacts | None, case: CaseFacts) -> bool:
        """``agent`` may be ``None`` for a case-only requirement (a policy's ``when``)."""
        return self.test(agent, case)

    def class_key(self, case: CaseFacts) -> tuple[Any, ...]:
        """Cases with equal keys stand or fall together for every agent."""
        return (self.source, *(getattr(case, field) for field in self.case_fields))

    def explain(self, agent: AgentFacts, case: CaseFacts) -> tuple[tuple[str, bool], ...]:
        return tuple([(atom.text, atom.test(agent, case)) for atom in self.atoms])


def compile_requirement(source: str, *, case_only: bool = False) -> Requirement:
    """Parse and compile ``source``; ``case_only`` refuses agent attributes."""
    parser = Parser(source, case_only=case_only)
    test = parser.parse()
    return Requirement(
        source=source.strip(),
        test=test,
        atoms=tuple(parser.atoms),
        case_fields=tuple(sorted(parser.case_fields)),
        agent_free=not parser.uses_agent,
    )


class Parser:
    def __init__(self, source: str, *, case_only: bool) -> None:
        self.source = source
        self.case_only = case_only
        self.tokens = tokenize(source)
        self.index = 0
        self.atoms: list[Atom] = []
        self.case_fields: set[str] = set()
        self.uses_agent = False
        self.depth = 0

    def parse(self) -> Predicate:
        if len(self.source) > MAX_LENGTH:
            raise ExpressionError(
                f"longer than {MAX_LENGTH} characters", source=self.source, column=MAX_LENGTH + 1
            )
        if self.peek.kind == "end":
            raise self.error("empty expression", self.peek)
        test = self.expression()
        if self.peek.kind != "end":
            raise self.error(f"unexpected {self.peek.text!r}", self.peek)
        return test

    @property
    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        self.index += 1
        return token

    def expect(self, kind: str, what: str) -> Token:
        if self.peek.kind != kind:
            found = "end of expression" if self.peek.kind == "end" else repr(self.peek.text)
            raise self.error(f"expected {what}, found {found}", self.peek)
        return self.advance()

    def error(self, message: str, token: Token) -> ExpressionError:
        return ExpressionError(message, source=self.source, column=token.start + 1)

    def expression(self) -> Predicate:
        parts = [self.conjunction()]
        while self.peek.kind == "or":
            self.advance()
            parts.append(self.conjunction())
        if len(parts) == 1:
            return parts[0]
        return _any_of(parts)

    def conjunction(self) -> Predicate:
        parts = [self.negation()]
        while self.peek.kind == "and":
            self.advance()
            parts.append(self.negation())
        if len(parts) == 1:
            return parts[0]
        return _all_of(parts)

    def negation(self) -> Predicate:
        token = self.peek
        if token.kind in {"not", "("}:
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise self.error(f"nested deeper than {MAX_DEPTH} levels", token)
        if token.kind == "not":
            self.advance()
            negated = self.negation()
            self.depth -= 1
            return lambda agent, case: not negated(agent, case)
        if token.kind == "(":
            self.advance()
            inner = self.expression()
            self.expect(")", "')'")
            self.depth -= 1
            return inner
        if token.kind in {"true", "false"}:
            self.advance()
            value = token.kind == "true"
            return lambda agent, case: value
        return self.comparison()

    def comparison(self) -> Predicate:
        start = self.peek
        left = self.operand()
        token = self.peek
        if token.kind == "not" and self.tokens[self.index + 1].kind == "in":
            self.advance()
            self.advance()
            test = self.membership(left, negate=True, start=start)
        elif token.kind == "in":
            self.advance()
            test = self.membership(left, negate=False, start=start)
        elif token.kind in {"==", "!=", "<", "<=", ">", ">="}:
            self.advance()
            right_token = self.peek
            right = self.operand()
            test = self.compare(left, token, right, right_token)
        else:
            found = "end of expression" if token.kind == "end" else repr(token.text)
            raise self.error(f"expected a comparison operator, found {found}", token)
        text = self.source[start.start : self.tokens[self.index - 1].end]
        self.atoms.append(Atom(text, test))
        return test

    def operand(self) -> Operand:
        token = self.advance()
        if token.kind == "number":
            value = float(token.text) if "." in token.text else int(token.text)
            return Operand(Kind.NUMBER, lambda agent, case: value, constant=value, is_literal=True)
        if token.kind == "string":
            text = token.text[1:-1]
            return Operand(Kind.TEXT, lambda agent, case: text, constant=text, is_literal=True)
        if token.kind != "name":
            found = "end of expression" if token.kind == "end" else repr(token.text)
            raise self.error(f"expected a name or a value, found {found}", token)
        return self.attribute(token)

    def attribute(self, token: Token) -> Operand:
        name = token.text
        if name in CASE_FIELDS:
            field, kind = CASE_FIELDS[name]
            self.case_fields.add(field)
            return Operand(kind, _case_getter(field), case_field=field)
        if "." in name:
            raise self.error(f"unknown attribute {name!r}", token)
        if self.case_only:
            raise self.error(f"agent attribute {name!r} not allowed here", token)
        self.uses_agent = True
        if name == "language":
            return Operand(Kind.LANGUAGES, lambda agent, case: agent.languages)
        if name in AGENT_TEXT_FIELDS:
            return Operand(Kind.TEXT, _agent_getter(AGENT_TEXT_FIELDS[name]))
        return Operand(Kind.NUMBER, lambda agent, case: agent.skills.get(name, 0))

    def compare(self, left: Operand, op: Token, right: Operand, right_token: Token) -> Predicate:
        if left.kind is Kind.LANGUAGES and right.kind is Kind.LANGUAGES:
            raise self.error("cannot compare language with language", right_token)
        if op.kind in ORDERING:
            if left.kind is not Kind.NUMBER or right.kind is not Kind.NUMBER:
                raise self.error(f"{op.text!r} needs numbers on both sides", op)
            return _ordering(op.kind, left.get, right.get)
        if Kind.LANGUAGES in (left.kind, right.kind):
            speaks_side, text_side = (left, right) if left.kind is Kind.LANGUAGES else (right, left)
            if text_side.kind is not Kind.TEXT:
                raise self.error("a language compares with text", right_token)
            return _speaks(speaks_side.get, text_side.get, negate=op.kind == "!=")
        if left.kind is not right.kind:
            raise self.error(
                f"cannot compare {left.kind.value} with {right.kind.value}", right_token
            )
        return _equality(op.kind == "!=", left.get, right.get)

    def membership(self, left: Operand, *, negate: bool, start: Token) -> Predicate:
        self.expect("[", "'['")
        values: list[Any] = []
        element_kind = Kind.NUMBER if left.kind is Kind.NUMBER else Kind.TEXT
        while True:
            token = self.peek
            value = self.operand()
            if not value.is_literal:
                raise self.error("a list holds only literal values", token)
            if value.kind is not element_kind:
                raise self.error(f"expected a {element_kind.value} value in the list", token)
            values.append(value.constant)
            if self.peek.kind == ",":
                self.advance()
                continue
            self.expect("]", "',' or ']'")
            break
        allowed = frozenset(values)
        get = left.get
        if left.kind is Kind.LANGUAGES:
            if negate:
                return lambda agent, case: allowed.isdisjoint(get(agent, case))
            return lambda agent, case: not allowed.isdisjoint(get(agent, case))
        if negate:
            return lambda agent, case: get(agent, case) not in allowed
        return lambda agent, case: get(agent, case) in allowed


def _case_getter(field: str) -> Getter:
    return lambda agent, case: getattr(case, field)


def _agent_getter(field: str) -> Getter:
    return lambda agent, case: getattr(agent, field)


def _any_of(parts: Sequence[Predicate]) -> Predicate:
    combined = parts[0]
    for part in parts[1:]:
        combined = _either(combined, part)
    return combined


def _all_of(parts: Sequence[Predicate]) -> Predicate:
    combined = parts[0]
    for part in parts[1:]:
        combined = _both(combined, part)
    return combined


def _either(first: Predicate, second: Predicate) -> Predicate:
    return lambda agent, case: first(agent, case) or second(agent, case)


def _both(first: Predicate, second: Predicate) -> Predicate:
    return lambda agent, case: first(agent, case) and second(agent, case)


def _speaks(languages: Getter, language: Getter, *, negate: bool) -> Predicate:
    if negate:
        return lambda agent, case: language(agent, case) not in languages(agent, case)
    return lambda agent, case: language(agent, case) in languages(agent, case)


def _equality(negate: bool, left: Getter, right: Getter) -> Predicate:
    if negate:
        return lambda agent, case: left(agent, case) != right(agent, case)
    return lambda agent, case: left(agent, case) == right(agent, case)


def _ordering(op: str, left: Getter, right: Getter) -> Predicate:
    if op == "<":
        return lambda agent, case: left(agent, case) < right(agent, case)
    if op == "<=":
        return lambda agent, case: left(agent, case) <= right(agent, case)
    if op == ">":
        return lambda agent, case: left(agent, case) > right(agent, case)
    return lambda agent, case: left(agent, case) >= right(agent, case)
