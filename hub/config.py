"""One typed settings object, read top to bottom from ``HUB_*`` environment variables.

Every component takes its configuration from here so that a deployment is described
in exactly one place (the environment, or a TOML file named by ``HUB_CONFIG``).
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Settings:
    """Deployment settings; defaults make ``make run`` work with no configuration."""

    data_dir: Path = Path("./var")
    database_url: str = ""
    secret_key: str = ""
    mail_domain: str = "hub.localhost"
    smarthost: str = ""
    ticket_tag: str = "hub"
    backup_root: Path = Path("./var/backups")
    restore_targets: tuple[Path, ...] = ()
    http_bind: str = "127.0.0.1:8080"
    smtp_bind: str = "127.0.0.1:2525"
    max_body_bytes: int = 10 * 1024 * 1024
    max_message_bytes: int = 25 * 1024 * 1024
    web_threads: int = 8
    secure_cookies: bool = False  # set HUB_SECURE_COOKIES=1 behind HTTPS
    # Mail authentication: "required" or "off"; "" means required when relays are set.
    mail_auth: str = ""
    # authserv-ids whose Authentication-Results headers the mail gateway believes.
    mail_trusted_relays: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sqlalchemy_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'hub.db').resolve()}"

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
    "ticket_tag": "HUB_TICKET_TAG",
    "backup_root": "HUB_BACKUP_ROOT",
    "restore_targets": "HUB_RESTORE_TARGETS",
    "http_bind": "HUB_HTTP",
    "smtp_bind": "HUB_SMTP",
    "max_body_bytes": "HUB_MAX_BODY_BYTES",
    "max_message_bytes": "HUB_MAX_MESSAGE_BYTES",
    "web_threads": "HUB_WEB_THREADS",
    "secure_cookies": "HUB_SECURE_COOKIES",
    "mail_auth": "HUB_MAIL_AUTH",
    "mail_trusted_relays": "HUB_MAIL_TRUSTED_RELAYS",
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
    if name == "secure_cookies":
        return str(raw).lower() in ("1", "true", "yes", "on")
    if name == "mail_auth":
        mode = str(raw).strip().lower()
        if mode not in ("", "required", "off"):
            raise ValueError(f"HUB_MAIL_AUTH is 'required' or 'off', not {raw!r}")
        return mode
    if name == "mail_trusted_relays":
        items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        return tuple(dict.fromkeys(str(i).strip().lower() for i in items if str(i).strip()))
    return raw


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from an optional TOML file, then the environment, then overrides."""
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    config_file = env.get("HUB_CONFIG")
    extra: dict[str, Any] = {}
    if config_file:
        with open(config_file, "rb") as fh:
            document = tomllib.load(fh)
        known = {f.name for f in fields(Settings)}
        for key, value in document.items():
            if key in known and key != "extra":
                values[key] = _convert(key, value)
            else:
                extra[key] = value
    for name, var in _ENV_NAMES.items():
        if var in env and env[var] != "":
            values[name] = _convert(name, env[var])
    if "backup_root" not in values and "data_dir" in values:
        values["backup_root"] = values["data_dir"] / "backups"
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
