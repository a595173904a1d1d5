"""Template substitution into step parameters."""

import pytest

from hub.runbooks.steps import ParamError
from hub.runbooks.templating import render_params, render_string


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


@pytest.mark.parametrize("template", [
    "{{ params.db_password|upper }}", "{{ params['db_password']|lower }}",
    "{{ params.db_password ~ 'x' }}", "{{ params.db_password[1:] }}",
    "{{ params.db_password.upper() }}", "{{ 'a' if params.db_password else 'b' }}",
    "{{ params.db_password is defined }}", "{{ params.api_token|default('x') }}"])
def test_a_secret_parameter_is_only_ever_used_bare(template: str) -> None:
    context = {"params": {"db_password": "Hunter2x", "api_token": "t0k3n"}, "ticket": {}}
    with pytest.raises(ParamError) as caught:
        render_string(template, context)
    assert caught.value.param in ("db_password", "api_token")
    assert "secret" in caught.value.message


@pytest.mark.parametrize("template", ["{{ params }}", "{{ params|first }}",
                                      "{{ params[params.node] }}"])
def test_params_as_a_whole_or_by_a_computed_name_is_refused(template: str) -> None:
    with pytest.raises(ParamError):
        render_string(template, {"params": {"db_password": "Hunter2x", "node": "db_password"},
                                 "ticket": {}})


def test_bare_secrets_and_filters_on_other_parameters_still_render() -> None:
    context = {"params": {"db_password": "Hunter2x", "node": "s1"}, "ticket": {}}
    assert render_string("u:{{ params.db_password }}@{{ params.node|upper }}",
                         context) == "u:Hunter2x@S1"
    assert render_string("{{ params['db_password'] }}", context) == "Hunter2x"
