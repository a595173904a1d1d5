"""Runbook step and parameter parsing."""

import pytest

from hub.runbooks.steps import (
    Condition,
    ParamError,
    ParamSpec,
    StepSpec,
    parse_runbook,
    validate_params,
)

RUNBOOK = """
# Drain a web node

```params
node: {type: host, required: true}
pool: {type: choice, choices: [web, api], default: web}
count: {type: int}
ticket_ref: {pattern: "T-[0-9]+"}
```

```op
name: Drain the node
action: lb.drain
params: {pool: "{{ params.pool }}", server: "{{ params.node }}"}
approval: required
timeout: 60
verify: {connections: 0}
```

Text with `inline` code.

```op
action: backup.restore
params: {host: db1, path: /etc/app.conf, target: /srv/restore}
```

```python
not: a step
```
"""


def test_given_runbook_when_parsed_then_steps_and_params() -> None:
    book = parse_runbook(RUNBOOK)
    assert book.errors == []
    assert book.steps == [
        StepSpec(1, "Drain the node", "lb.drain",
                 {"pool": "{{ params.pool }}", "server": "{{ params.node }}"},
                 "required", 60, {"connections": 0}),
        StepSpec(2, "backup.restore", "backup.restore",
                 {"snapshot": "latest", "host": "db1", "path": "/etc/app.conf",
                  "target": "/srv/restore"}),
    ]
    assert [p.name for p in book.params] == ["node", "pool", "count", "ticket_ref"]
    assert book.params[1] == ParamSpec("pool", "choice", False, "web", ("web", "api"))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("name: [unclosed", "step 1: malformed YAML"),
        ("- a list", "step 1: expected a mapping"),
        ("action: lb.explode", "step 1: unknown action 'lb.explode'"),
        ("action: lb.drain\nparams: {pool: web}", "step 1: lb.drain needs parameter 'server'"),
        ("action: lb.ready\nparams: {server: a}", "step 1: lb.ready needs parameter 'pool'"),
        ("action: vip.failover\nparams: {vip: v1}", "step 1: vip.failover needs parameter 'to'"),
        ("action: backup.restore\nparams: {host: h, path: /p}",
         "step 1: backup.restore needs parameter 'target'"),
        ("action: ticket.comment", "step 1: ticket.comment needs parameter 'body'"),
        ("action: ticket.status\nparams: {status: ''}",
         "step 1: ticket.status needs parameter 'status'"),
        ("action: ticket.status\nparams: {status: open, rm: x}",
         "step 1: ticket.status has no parameter 'rm'"),
        ("action: ticket.status\nparams: {status: open}\napproval: maybe",
         "step 1: approval must be 'required' or 'none'"),
        ("action: ticket.status\nparams: {status: open}\ntimeout: -1",
         "step 1: timeout must be a positive number"),
        ("action: ticket.status\nparams: {status: open}\nsudo: yes", "step 1: unknown key 'sudo'"),
        ("action: ticket.status\nparams: [1]", "step 1: params must be a mapping"),
    ],
)
def test_given_malformed_step_when_parsed_then_error_names_step(body: str, message: str) -> None:
    book = parse_runbook(f"```op\n{body}\n```\n")
    assert book.steps == []
    assert any(e.startswith(message) for e in book.errors), book.errors


def test_given_bad_second_step_when_parsed_then_numbering_kept() -> None:
    ok = "```op\naction: ticket.comment\nparams: {body: x}\n```\n"
    book = parse_runbook(ok + "\n```op\naction: nope\n```\n\n" + ok)
    assert [s.n for s in book.steps] == [1, 3]
    assert book.errors[0].startswith("step 2:")


def test_given_bad_params_block_when_parsed_then_errors() -> None:
    book = parse_runbook("```params\nx: {type: float}\ny: {type: choice}\nz: {pattern: '('}\n```")
    assert any("unknown type 'float'" in e for e in book.errors)
    assert any("needs choices" in e for e in book.errors)
    assert any("bad pattern" in e for e in book.errors)


SPECS = parse_runbook(RUNBOOK)


def test_given_valid_params_when_validated_then_coerced_with_defaults() -> None:
    out = validate_params(SPECS, {"node": "web2.example.com", "count": "3"})
    assert out == {"node": "web2.example.com", "pool": "web", "count": 3}
    assert validate_params(SPECS, {"node": "10.0.0.2"})["node"] == "10.0.0.2"
    assert validate_params(SPECS, {"node": "::1", "ticket_ref": "T-12"})["ticket_ref"] == "T-12"


@pytest.mark.parametrize(
    ("given", "param"),
    [
        ({}, "node"),
        ({"node": ""}, "node"),
        ({"node": "-oProxyCommand=x"}, "node"),
        ({"node": "web 2"}, "node"),
        ({"node": "a;rm -rf /"}, "node"),
        ({"node": "web2", "pool": "db"}, "pool"),
        ({"node": "web2", "count": "3.5"}, "count"),
        ({"node": "web2", "count": True}, "count"),
        ({"node": "web2", "ticket_ref": "T-1x"}, "ticket_ref"),
        ({"node": "web2", "extra": "1"}, "extra"),
        ({"node": ["web2"]}, "node"),
        ({"node": "a" * 5000}, "node"),
    ],
)
def test_given_bad_params_when_validated_then_param_error_names_it(
    given: dict[str, object], param: str
) -> None:
    with pytest.raises(ParamError) as info:
        validate_params(SPECS.params, given)
    assert info.value.param == param
    assert isinstance(info.value, ValueError)


def _step(when: str) -> str:
    return f"```op\naction: ticket.comment\nparams: {{body: x}}\nwhen: {when}\n```\n"


def test_given_when_conditions_when_parsed_then_each_names_an_earlier_step() -> None:
    first = "```op\naction: ticket.comment\nparams: {body: x}\n```\n"
    book = parse_runbook(first + _step("step 1 verified") + _step("Step 1  FAILED")
                         + _step("step 2 skipped"))
    assert book.errors == []
    assert [str(s.when) for s in book.steps] == ["None", "step 1 verified", "step 1 failed",
                                                  "step 2 skipped"]
    assert book.steps[1].when == Condition(1, "verified") and book.blocks == 4


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (_step("step 1 verified"), "step 1: when must name an earlier step, and step 1 has none"),
        ("```op\naction: ticket.comment\nparams: {body: x}\n```\n" + _step("step 2 verified"),
         "step 2: when names step 2, not an earlier step (step 1)"),
        ("```op\naction: ticket.comment\nparams: {body: x}\n```\n" * 2 + _step("step 7 failed"),
         "step 3: when names step 7, not an earlier step (steps 1 to 2)"),
        ("```op\naction: ticket.comment\nparams: {body: x}\n```\n" + _step("step 1 approved"),
         "step 2: when must be 'step N verified', 'step N failed' or 'step N skipped', "
         "not 'step 1 approved'"),
        ("```op\naction: ticket.comment\nparams: {body: x}\n```\n" + _step("yes"),
         "step 2: when must be"),
        ("```op\naction: ticket.comment\nparams: {body: x}\n```\n" + _step("[1, 2]"),
         "step 2: when must be"),
    ],
)
def test_given_bad_when_when_parsed_then_the_runbook_cannot_run(text: str, message: str) -> None:
    book = parse_runbook(text)
    assert any(e.startswith(message) for e in book.errors), book.errors
