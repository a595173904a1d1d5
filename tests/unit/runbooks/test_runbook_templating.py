"""Template substitution into step parameters."""

import pytest

from hub.runbooks.steps import ParamError
from hub.runbooks.templating import render_params


def test_given_templates_when_rendered_then_params_and_ticket_substituted() -> None:
    params = {"pool": "web", "server": "{{ params.node }}",
              "body": "Ticket #{{ ticket.id }}: {{ ticket.subject | upper }}",
              "nested": {"list": ["{{ params.node }}-a", 3]}, "count": 2}
    out = render_params(params, run_params={"node": "web2"},
                        ticket={"id": 7, "subject": "down"})
    assert out == {"pool": "web", "server": "web2", "body": "Ticket #7: DOWN",
                   "nested": {"list": ["web2-a", 3]}, "count": 2}


def test_given_missing_variable_when_rendered_then_param_error_names_it() -> None:
    with pytest.raises(ParamError) as info:
        render_params({"server": "{{ params.node }}"}, run_params={})
    assert info.value.param == "node"
    with pytest.raises(ParamError) as info:
        render_params({"body": "{{ ticket.owner }}"}, run_params={}, ticket={"id": 1})
    assert info.value.param == "owner"


def test_given_default_filter_when_variable_missing_then_default_used() -> None:
    out = render_params({"s": "{{ params.node | default('web1') }}"}, run_params={})
    assert out == {"s": "web1"}


def test_given_template_in_data_when_rendered_then_never_evaluated_again() -> None:
    out = render_params({"body": "{{ ticket.subject }}"}, run_params={"x": "secret"},
                        ticket={"subject": "{{ params.x }} {% raw %}"})
    assert out == {"body": "{{ params.x }} {% raw %}"}


@pytest.mark.parametrize(
    "template",
    [
        "{{ params.node.__class__.__mro__ }}",
        "{{ ticket.items() }}",
        "{{ params.update({'a': 1}) }}",
        "{{ 'a' * 100000000 }}",
        "{{ 9 ** 9 ** 9 }}",
        "{{ lipsum() }}",
        "{{ range(10) }}",
        "{{ 'x' | center(100000000) }}",
        "{{ unclosed",
        "{{ cycler.__init__.__globals__ }}",
    ],
)
def test_given_hostile_template_when_rendered_then_param_error(template: str) -> None:
    with pytest.raises(ParamError):
        render_params({"s": template}, run_params={"node": "web2"}, ticket={"id": 1})


def test_given_statements_when_rendered_then_left_as_text() -> None:
    text = "{% for i in range(3) %}x{% endfor %}"
    assert render_params({"s": text}, run_params={}) == {"s": text}


def test_given_run_params_when_rendered_then_inputs_not_mutated() -> None:
    run_params = {"node": "web2"}
    render_params({"s": "{{ params.node }}"}, run_params=run_params)
    assert run_params == {"node": "web2"}
