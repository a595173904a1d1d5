"""One typed settings object, read top to bottom from ``HUB_*`` environment variables.

Every component takes its configuration from here so that a deployment is described
in exactly one place (the environment, or a TOML file named by ``HUB_CONFIG``).
"""

from __future__ import annotations

import codecs
import os
import secrets
import socket
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Settings:
    """Deployment settings; defaults make ``make run`` work with no configuration."""

    data_dir: Path = Path("./var")
    database_url: str = ""
    secret_key: str = ""
    mail_domain: str = "hub.localhost"
    smarthost: str = ""
    # Where links in outgoing mail point (HUB_BASE_URL); "" means http://<http_bind>.
    base_url: str = ""
    ticket_tag: str = "hub"
    backup_root: Path = Path("./var/backups")
    restore_targets: tuple[Path, ...] = ()
    http_bind: str = "127.0.0.1:8080"
    smtp_bind: str = "127.0.0.1:2525"
    max_body_bytes: int = 10 * 1024 * 1024
    max_message_bytes: int = 25 * 1024 * 1024
    web_threads: int = 8
    # Web worker processes of ``hub serve`` (HUB_WEB_WORKERS); 0: one per core.
    web_workers: int = 0
    secure_cookies: bool = False  # set HUB_SECURE_COOKIES=1 behind HTTPS
    # Mail authentication: "required" or "off"; "" means required when relays are set.
    mail_auth: str = ""
    # authserv-ids whose Authentication-Results headers the mail gateway believes.
    mail_trusted_relays: tuple[str, ...] = ()
    # Fallback charsets for undeclared 8-bit mail text, in order (RT's EmailInputEncodings).
    mail_input_encodings: tuple[str, ...] = ("utf-8", "cp1252", "iso-8859-1")
    # Names this node in logs, /healthz and node-local positions (HUB_NODE_NAME).
    node_name: str = field(default_factory=socket.gethostname)
    # IANA zone that pages show times in unless a viewer chose their own (HUB_TIMEZONE).
    timezone: str = "UTC"
    # The name authenticator apps show for the hub's TOTP entries (HUB_SITE_NAME).
    site_name: str = "OpsHub"
    # Staff and admins get no session until they have a second factor (docs/identity.md).
    require_totp_for_staff: bool = False
    # Directory sign-in (HUB_LDAP_*, docs/identity.md); no URL: local accounts only.
    ldap_url: str = ""
    ldap_base_dn: str = ""
    ldap_user_filter: str = "(uid={username})"
    ldap_bind_dn: str = ""
    ldap_bind_password: str = field(default="", repr=False)  # never printed or logged
    ldap_admin_group: str = ""
    ldap_staff_group: str = ""
    ldap_group_base_dn: str = ""  # where groups are searched ("": the base DN)
    ldap_starttls: bool = False
    ldap_ca_file: str = ""
    ldap_timeout: float = 5.0  # seconds, for connecting and for each answer
    ldap_recheck_seconds: float = 60.0  # live sessions and tokens follow the directory
    # Directory group DN -> OpsHub group, so queue grants follow the directory.
    ldap_group_map: tuple[tuple[str, str], ...] = ()
    # Notification channels (docs/automation.md): the webhook signing key, the hub's
    # XMPP account and Kannel's sendsms interface. Secrets are never printed or logged.
    webhook_secret: str = field(default="", repr=False)
    xmpp_jid: str = ""
    xmpp_password: str = field(default="", repr=False)
    xmpp_server: str = ""  # host:port; "": the JID's domain through DNS
    xmpp_tls: bool = True  # off only for loopback tests
    kannel_sendsms_url: str = ""
    kannel_user: str = ""
    kannel_password: str = field(default="", repr=False)
    kannel_from: str = ""
    kannel_inbound_token: str = field(default="", repr=False)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hub.db').resolve()}"

    @property
    def public_url(self) -> str:
        """The web address people reach the hub at, without a trailing slash: what every
        link in outgoing mail starts with (HUB_BASE_URL, else ``http://<http bind>``)."""
        return (self.base_url or f"http://{self.http_bind}").rstrip("/")

    @property
    def mail_auth_required(self) -> bool:
        """Mail commands need a trusted relay's passing DKIM/SPF result (HUB_MAIL_AUTH)."""
        if self.mail_auth:
            return self.mail_auth == "required"
        return bool(self.mail_trusted_relays)

    def ensure_dirs(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)


_ENV_NAMES = {
    "data_dir": "HUB_DATA_DIR",
    "database_url": "HUB_DATABASE_URL",
    "secret_key": "HUB_SECRET_KEY",
    "mail_domain": "HUB_MAIL_DOMAIN",
    "smarthost": "HUB_SMARTHOST",
    "base_url": "HUB_BASE_URL",
    "ticket_tag": "HUB_TICKET_TAG",
    "backup_root": "HUB_BACKUP_ROOT",
    "restore_targets": "HUB_RESTORE_TARGETS",
    "http_bind": "HUB_HTTP",
    "smtp_bind": "HUB_SMTP",
    "max_body_bytes": "HUB_MAX_BODY_BYTES",
    "max_message_bytes": "HUB_MAX_MESSAGE_BYTES",
    "web_threads": "HUB_WEB_THREADS",
    "web_workers": "HUB_WEB_WORKERS",
    "secure_cookies": "HUB_SECURE_COOKIES",
    "mail_auth": "HUB_MAIL_AUTH",
    "mail_trusted_relays": "HUB_MAIL_TRUSTED_RELAYS",
    "mail_input_encodings": "HUB_MAIL_INPUT_ENCODINGS",
    "node_name": "HUB_NODE_NAME",
    "timezone": "HUB_TIMEZONE",
    "site_name": "HUB_SITE_NAME",
    "require_totp_for_staff": "HUB_REQUIRE_TOTP_FOR_STAFF",
    "webhook_secret": "HUB_WEBHOOK_SECRET",
    "xmpp_jid": "HUB_XMPP_JID",
    "xmpp_password": "HUB_XMPP_PASSWORD",
    "xmpp_server": "HUB_XMPP_SERVER",
    "xmpp_tls": "HUB_XMPP_TLS",
    "kannel_sendsms_url": "HUB_KANNEL_SENDSMS_URL",
    "kannel_user": "HUB_KANNEL_USER",
    "kannel_password": "HUB_KANNEL_PASSWORD",
    "kannel_from": "HUB_KANNEL_FROM",
    "kannel_inbound_token": "HUB_KANNEL_INBOUND_TOKEN",
    "ldap_url": "HUB_LDAP_URL",
    "ldap_base_dn": "HUB_LDAP_BASE_DN",
    "ldap_user_filter": "HUB_LDAP_USER_FILTER",
    "ldap_bind_dn": "HUB_LDAP_BIND_DN",
    "ldap_bind_password": "HUB_LDAP_BIND_PASSWORD",
    "ldap_admin_group": "HUB_LDAP_ADMIN_GROUP",
    "ldap_staff_group": "HUB_LDAP_STAFF_GROUP",
    "ldap_group_base_dn": "HUB_LDAP_GROUP_BASE_DN",
    "ldap_starttls": "HUB_LDAP_STARTTLS",
    "ldap_ca_file": "HUB_LDAP_CA_FILE",
    "ldap_timeout": "HUB_LDAP_TIMEOUT",
    "ldap_recheck_seconds": "HUB_LDAP_RECHECK_SECONDS",
    "ldap_group_map": "HUB_LDAP_GROUP_MAP",
}


def _convert(name: str, raw: Any) -> Any:
    if name in {"data_dir", "backup_root"}:
        return Path(raw)
    if name == "restore_targets":
        if isinstance(raw, list | tuple):
            return tuple(Path(p) for p in raw)
        return tuple(Path(p) for p in str(raw).split(":") if p)
    if name in {"max_body_bytes", "max_message_bytes", "web_threads"}:
        return int(raw)
    if name == "web_workers":
        if isinstance(raw, bool) or int(raw) < 0:
            raise ValueError(f"HUB_WEB_WORKERS is a number of processes (0: one per core), "
                             f"not {raw!r}")
        return int(raw)
    if name in {"secure_cookies", "ldap_starttls", "xmpp_tls", "require_totp_for_staff"}:
        return str(raw).lower() in ("1", "true", "yes", "on")
    if name.startswith("ldap_"):
        return _ldap_setting(name, raw)
    if name == "base_url":
        return _base_url(str(raw))
    if name == "mail_auth":
        mode = str(raw).strip().lower()
        if mode not in ("", "required", "off"):
            raise ValueError(f"HUB_MAIL_AUTH is 'required' or 'off', not {raw!r}")
        return mode
    if name == "mail_input_encodings":
        # An unknown name stops the start-up (LookupError), not the first 8-bit message.
        items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        names = tuple(dict.fromkeys(codecs.lookup(str(i).strip()).name
                                    for i in items if str(i).strip()))
        if not names:
            raise ValueError("HUB_MAIL_INPUT_ENCODINGS names no charset")
        return names
    if name == "timezone":
        zone = str(raw).strip()
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: 'Europe', long names
            raise ValueError(f"HUB_TIMEZONE is an IANA zone such as Europe/Berlin, not {raw!r}"
                             ) from exc
        return zone
    if name == "mail_trusted_relays":
        items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        return tuple(dict.fromkeys(str(i).strip().lower() for i in items if str(i).strip()))
    return raw


def _ldap_setting(name: str, raw: Any) -> Any:
    """The directory settings, checked at start-up rather than at the first sign-in."""
    if name in {"ldap_timeout", "ldap_recheck_seconds"}:
        seconds = float(raw)
        if isinstance(raw, bool) or seconds <= 0:
            raise ValueError(f"{name.upper()} is a number of seconds above 0, not {raw!r}")
        return seconds
    if name == "ldap_group_map":
        return _group_map(raw)
    if name == "ldap_bind_password":
        return str(raw)
    value = str(raw).strip()
    if name == "ldap_url" and value:
        scheme = value.partition("://")[0].lower()
        if scheme not in ("ldap", "ldaps"):
            raise ValueError(f"HUB_LDAP_URL is an ldap:// or ldaps:// URL, not {raw!r}")
    if name == "ldap_user_filter" and value.count("{username}") < 1:
        raise ValueError("HUB_LDAP_USER_FILTER must contain {username}, e.g. (uid={username})")
    return value


def _group_map(raw: Any) -> tuple[tuple[str, str], ...]:
    """``DN=Group;DN=Group`` (the last ``=`` of each item splits it) or a TOML table."""
    if isinstance(raw, dict):
        items = [(str(k), str(v)) for k, v in raw.items()]
    else:
        items = []
        for part in str(raw).split(";"):
            if part.strip():
                dn, sep, group = part.rpartition("=")
                if not sep or not dn.strip() or "=" not in dn:
                    raise ValueError(f"HUB_LDAP_GROUP_MAP items are GROUP-DN=OpsHubGroup, "
                                     f"not {part.strip()!r}")
                items.append((dn, group))
    out = tuple((dn.strip(), group.strip().lower()) for dn, group in items)
    if any(not group for _, group in out):
        raise ValueError("HUB_LDAP_GROUP_MAP names an empty OpsHub group")
    return out


def _base_url(raw: str) -> str:
    """An absolute http(s) URL: a relative or schemeless one would make dead links in mail."""
    url = raw.strip().rstrip("/")
    scheme, sep, rest = url.partition("://")
    if url and (not sep or scheme.lower() not in ("http", "https") or not rest
                or rest.startswith("/") or any(c.isspace() for c in url)):
        raise ValueError(f"HUB_BASE_URL must be an absolute http:// or https:// URL, "
                         f"not {raw!r}")
    return url


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from an optional TOML file, then the environment, then overrides."""
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    config_file = env.get("HUB_CONFIG")
    extra: dict[str, Any] = {}
    if config_file:
        try:
            with open(config_file, "rb") as fh:
                document = tomllib.load(fh)
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError([f"{config_file}: {exc}"]) from exc
        errors = check_document(document)
        if errors:
            raise ConfigError([f"{config_file}: {e}" for e in errors])
        known = {f.name for f in fields(Settings)}
        for key, value in document.items():
            if key in known and key != "extra":
                values[key] = _convert(key, value)
            elif key == "imap" and isinstance(value, dict):
                extra[key] = [value]  # a single [imap] table is one account
            else:
                extra[key] = value
    for name, var in _ENV_NAMES.items():
        if var in env and env[var] != "":
            values[name] = _convert(name, env[var])
    if "backup_root" not in values and "data_dir" in values:
        values["backup_root"] = values["data_dir"] / "backups"
    if "restore_targets" not in values:  # restores may always land inside the data dir
        values["restore_targets"] = (values.get("data_dir", Settings.data_dir) / "restores",)
    settings = Settings(**values, extra=extra)
    settings = replace(settings, **{k: _convert(k, v) for k, v in overrides.items()})
    if not settings.secret_key:
        settings = replace(settings, secret_key=_persistent_secret(settings.data_dir))
    return settings


def _persistent_secret(data_dir: Path) -> str:
    """A generated secret kept in the data dir, so sessions and signatures survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


# --- the configuration file's schema --------------------------------------------
# Why one schema: each feature reads its own tables, and a key it does not know used
# to be ignored in silence (``[imap]`` instead of ``[[imap]]`` polled nothing). The
# checker below knows every key of every table, so a typo stops ``hub serve`` with a
# line naming it, and ``hub config check`` lists all of them. A feature that reads a
# new key or table adds it to SCHEMA here.


class ConfigError(ValueError):
    """The configuration file has unknown or ill-typed keys; the message names them."""

    def __init__(self, errors: list[str] | str) -> None:
        self.errors = [errors] if isinstance(errors, str) else list(errors)
        super().__init__("; ".join(self.errors))


@dataclass(frozen=True)
class Of:
    """A value of one of these kinds: str, int, float (int too), bool, or a nested spec."""

    kinds: tuple[Any, ...]


@dataclass(frozen=True)
class Table:
    keys: dict[str, Any]
    required: tuple[str, ...] = ()


@dataclass(frozen=True)
class MapOf:
    value: Any


@dataclass(frozen=True)
class ListOf:
    item: Any


STR, NUM, BOOL, INT = Of((str,)), Of((float,)), Of((bool,)), Of((int,))
ANY = Of(())
STRS = ListOf(STR)
ROUTE = Table({k: STR for k in ("name", "source", "host", "service", "queue", "owner",
                                "runbook", "on_recovery", "escalation_policy")}
              | {"labels": MapOf(STR), "severity": Of((str, STRS)), "priority": INT,
                 "runbook_params": MapOf(ANY), "ack_on_take": BOOL, "ack_on_comment": BOOL})
IMAP = Table({"host": STR, "port": INT, "username": STR, "password_file": STR,
              "password_env": STR, "password": STR, "mailbox": STR, "processed_mailbox": STR,
              "ssl": BOOL, "address": STR, "mailbox_address": STR, "idle_timeout": NUM,
              "poll_interval": NUM},
             required=("host", "username"))
SCHEMA: dict[str, Any] = {
    "alert_default_queue": STR,
    "alert_routes": ListOf(ROUTE),
    "alerts": Table({"routes": ListOf(ROUTE)}),
    "alert_parents": MapOf(Of((str, STRS))),
    "alert_flapping": Table({"window_minutes": NUM, "start_changes": INT, "stop_changes": INT}),
    "nagios": Table({"command_file": STR, "status_file": STR, "object_cache_file": STR,
                     "host_aliases": MapOf(STR), "ack_retry_seconds": NUM,
                     "ack_retry_max_seconds": NUM, "ack_give_up_hours": NUM,
                     "ack_confirm_seconds": NUM}),
    "keepalived": Table({"settle_seconds": NUM}),
    "backuppc": Table({"default_period_hours": NUM, "check_interval_minutes": NUM,
                       "periods_hours": MapOf(NUM)}),
    "imap": ListOf(IMAP),  # [[imap]] accounts, or a single [imap] table
    "mail": Table({k: NUM for k in ("autoreply_limit", "autoreply_window", "ticket_mail_limit",
                                    "ticket_mail_window", "max_recipients")}
                  | {"error_queue": STR, "own_addresses": STRS}),
    "lb_pools": ListOf(Table({
        "name": STR, "driver": STR, "members": STRS,
        "haproxy": Table({"socket": STR, "backend": STR}, ("socket", "backend")),
        "ipvs": Table({"vip": STR, "port": INT, "protocol": STR, "fwd_method": STR,
                       "netns": STR, "members": MapOf(Table(
                           {"address": STR, "port": INT, "weight": INT}, ("address", "port")))},
                      ("vip", "port"))}, ("name",))),
    "vips": MapOf(Table({"address": STR, "prefixlen": INT, "track_files": MapOf(ANY),
                         "hosts": MapOf(Table({"ifname": STR, "netns": STR}, ("ifname",)))},
                        ("address",))),
    "runbook_schedules": ListOf(Table({"name": STR, "runbook": STR, "cron": STR,
                                       "params": MapOf(ANY), "queue": STR, "ticket_id": INT},
                                      ("runbook", "cron"))),
    "runbook_approval_ttl": NUM,
    "scheduler": Table({"heartbeat_seconds": NUM}),
    # Notification channels: at most N per minute per recipient and channel, a timeout.
    "channels": Table({"rate_per_minute": MapOf(INT), "webhook_timeout": NUM,
                       "max_attempts": INT}),
}


def _is(value: Any, kind: Any) -> bool:
    if kind is bool:
        return isinstance(value, bool)
    if kind is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if isinstance(kind, type):
        return isinstance(value, kind) and not isinstance(value, bool)
    return not _check(value, kind, "")


def _name(spec: Any) -> str:
    if isinstance(spec, Of):
        names = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}
        return " or ".join(names[k] if k in names else _name(k)
                           for k in spec.kinds) or "anything"
    return {Table: "a table", MapOf: "a table", ListOf: "a list"}[type(spec)]


def _check(value: Any, spec: Any, where: str) -> list[str]:
    """Every problem of ``value`` against ``spec``, each naming its key."""
    if isinstance(spec, Of):
        if not spec.kinds or any(_is(value, k) for k in spec.kinds):
            return []
        return [f"{where} must be {_name(spec)}, got {type(value).__name__} {value!r:.60}"]
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return [f"{where} must be a list ([[{where}]]), got {type(value).__name__}"]
        return [e for i, item in enumerate(value) for e in _check(item, spec.item,
                                                                  f"{where}[{i}]")]
    if not isinstance(value, dict):
        return [f"{where} must be a table, got {type(value).__name__} {value!r:.60}"]
    if isinstance(spec, MapOf):
        return [e for k, v in value.items() for e in _check(v, spec.value, f"{where}.{k}")]
    errors = [f"unknown key {where}.{k} (known: {', '.join(sorted(spec.keys))})"
              for k in value if k not in spec.keys]
    errors += [f"{where}.{k} is required" for k in spec.required if k not in value]
    return errors + [e for k, v in value.items() if k in spec.keys
                     for e in _check(v, spec.keys[k], f"{where}.{k}")]


def check_document(document: dict[str, Any]) -> list[str]:
    """The problems of a parsed configuration file (an empty list when it is fine)."""
    defaults = {f.name: f.default for f in fields(Settings) if f.name != "extra"}
    known = set(defaults)
    errors: list[str] = []
    for key, value in document.items():
        if key == "imap" and isinstance(value, dict):  # a single [imap] table: one account
            errors += _check(value, IMAP, "imap")
        elif key in known and isinstance(defaults[key], str) and not isinstance(value, str):
            errors.append(f"{key} must be a string, got {type(value).__name__} {value!r:.60}")
        elif key in known:
            try:
                _convert(key, value)
            except (TypeError, ValueError, LookupError) as exc:
                errors.append(f"{key}: {exc}")
        elif key in SCHEMA:
            errors += _check(value, SCHEMA[key], key)
        else:
            errors.append(f"unknown key {key!r} (settings: {', '.join(sorted(known))}; "
                          f"tables: {', '.join(sorted(SCHEMA))})")
    return errors
