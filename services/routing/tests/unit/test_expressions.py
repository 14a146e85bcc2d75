from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.routing.domain.expressions import ExpressionError, compile_requirement


@dataclass
class FakeAgentFacts:
    id: str = "a1"
    skills: dict[str, int] = field(default_factory=dict)
    languages: frozenset[str] = frozenset()
    region: str = "nordics"
    team: str = "red"


@dataclass
class CaseFactsRecord:
    language: str = "da"
    region: str = "nordics"
    channel: str = "chat"
    priority: int = 2
    department: str = "billing"


def holds(source: str, agent: FakeAgentFacts, case: CaseFactsRecord | None = None) -> bool:
    return compile_requirement(source).matches(agent, case or CaseFactsRecord())


def test_the_design_example_matches_a_danish_billing_expert_in_the_nordics():
    expert = FakeAgentFacts(skills={"billing": 7}, languages=frozenset({"da", "en"}))
    novice = FakeAgentFacts(skills={"billing": 4}, languages=frozenset({"da"}))
    source = 'billing >= 5 and language == "da" and region == "nordics"'
    assert holds(source, expert)
    assert not holds(source, novice)


def test_a_missing_skill_counts_as_zero():
    agent = FakeAgentFacts(skills={})
    assert holds("refunds == 0", agent)
    assert not holds("refunds >= 1", agent)


def test_language_means_the_agent_speaks_it_and_case_language_is_the_cases():
    agent = FakeAgentFacts(languages=frozenset({"fi", "sv"}))
    assert holds("language == case.language", agent, CaseFactsRecord(language="fi"))
    assert not holds("language == case.language", agent, CaseFactsRecord(language="pl"))
    assert holds('language != "da"', agent)
    assert holds('language in ["pl", "sv"]', agent)
    assert holds('language not in ["pl", "da"]', agent)


def test_or_not_and_parentheses_follow_the_usual_precedence():
    agent = FakeAgentFacts(skills={"tech": 3}, team="blue")
    assert holds('tech > 5 or team == "blue" and not region == "dach"', agent)
    assert not holds('(tech > 5 or team == "blue") and region == "dach"', agent)
    assert holds("not (tech > 5)", agent)


def test_case_attributes_channel_and_priority_are_readable():
    agent = FakeAgentFacts()
    urgent_voice = CaseFactsRecord(channel="phone", priority=5)
    assert holds('channel == "phone" and priority >= 4', agent, urgent_voice)
    assert holds("priority in [1, 5]", agent, urgent_voice)
    assert holds('case.department == "billing"', agent)


@pytest.mark.parametrize(
    ("source", "column", "fragment"),
    [
        ("billing >= ", 12, "expected a name or a value"),
        ('billing >= 5 and language = "da"', 27, "unexpected character"),
        ("billing >= 5 )", 14, "unexpected ')'"),
        ('billing >= "high"', 9, "needs numbers"),
        ("region == 3", 11, "cannot compare text with number"),
        ("case.mood == 1", 1, "unknown attribute"),
        ("(billing > 1", 13, "expected ')'"),
        ("billing", 8, "expected a comparison operator"),
        ("", 1, "empty expression"),
        ("billing in [1, region]", 16, "only literal values"),
        ("__import__('os')", 11, "expected a comparison operator"),
    ],
)
def test_a_bad_expression_is_rejected_with_its_column(source, column, fragment):
    with pytest.raises(ExpressionError) as caught:
        compile_requirement(source)
    assert caught.value.column == column
    assert fragment in str(caught.value)


def test_case_only_expressions_refuse_agent_attributes_at_their_position():
    with pytest.raises(ExpressionError) as caught:
        compile_requirement('channel == "chat" and billing > 2', case_only=True)
    assert caught.value.column == 23


def test_class_key_binds_the_case_fields_the_requirement_reads():
    requirement = compile_requirement("language == case.language and billing > 2")
    assert requirement.class_key(CaseFactsRecord(language="da")) != requirement.class_key(
        CaseFactsRecord(language="fi")
    )
    assert requirement.class_key(CaseFactsRecord(language="da", priority=1)) == (
        requirement.class_key(CaseFactsRecord(language="da", priority=9))
    )


def test_explain_names_each_comparison_and_whether_it_held():
    requirement = compile_requirement('billing >= 5 and (language == "da" or team == "red")')
    agent = FakeAgentFacts(skills={"billing": 6}, languages=frozenset({"sv"}))
    assert requirement.explain(agent, CaseFactsRecord()) == (
        ("billing >= 5", True),
        ('language == "da"', False),
        ('team == "red"', True),
    )


SKILLS = st.sampled_from(["billing", "tech", "sales"])
LEVELS = st.integers(min_value=0, max_value=10)
OPERATORS = st.sampled_from(["==", "!=", "<", "<=", ">", ">="])
PYTHON_OPERATORS = {
    "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


def comparisons():
    return st.tuples(SKILLS, OPERATORS, LEVELS).map(
        lambda parts: (
            f"{parts[0]} {parts[1]} {parts[2]}",
            lambda skills: PYTHON_OPERATORS[parts[1]](skills.get(parts[0], 0), parts[2]),
        )
    )


def combine(children):
    def conjunction(pair):
        (left_text, left), (right_text, right) = pair
        return f"({left_text} and {right_text})", lambda s: left(s) and right(s)

    def disjunction(pair):
        (left_text, left), (right_text, right) = pair
        return f"({left_text} or {right_text})", lambda s: left(s) or right(s)

    def negation(child):
        text, test = child
        return f"not {text}", lambda s: not test(s)

    return st.one_of(
        st.tuples(children, children).map(conjunction),
        st.tuples(children, children).map(disjunction),
        children.map(negation),
    )


EXPRESSIONS = st.recursive(comparisons(), combine, max_leaves=12)


@given(expression=EXPRESSIONS, skills=st.dictionaries(SKILLS, LEVELS))
def test_compiled_expressions_agree_with_a_reference_evaluation(expression, skills):
    text, reference = expression
    agent = FakeAgentFacts(skills=skills)
    assert compile_requirement(text).matches(agent, CaseFactsRecord()) == reference(skills)


@given(source=st.text(max_size=40))
def test_any_text_either_compiles_or_fails_with_an_expression_error(source):
    try:
        compile_requirement(source)
    except ExpressionError as error:
        column = error.column
    else:
        return
    assert 1 <= column <= len(source) + 1


def test_deep_nesting_and_huge_expressions_are_refused_not_crashed():
    with pytest.raises(ExpressionError, match="nested deeper"):
        compile_requirement("(" * 100 + "tech > 1" + ")" * 100)
    with pytest.raises(ExpressionError, match="nested deeper"):
        compile_requirement("not " * 100 + "tech > 1")
    with pytest.raises(ExpressionError, match="longer than"):
        compile_requirement(" or ".join(["tech > 1"] * 400))
    assert compile_requirement("(" * 10 + "tech > 1" + ")" * 10).source.startswith("((")
