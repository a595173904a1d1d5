"""Runbook step and parameter parsing."""

import pytest

from hub.runbooks.steps import ParamError, ParamSpec, StepSpec, parse_runbook, validate_params

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
