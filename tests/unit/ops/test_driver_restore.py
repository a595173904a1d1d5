"""Pure parts of BackupRestore: name and path checks, rsync itemize parsing."""

from __future__ import annotations

from pathlib import PurePosixPath

import pytest

from hub.drivers.base import TargetNotAllowedError
from hub.drivers.restore import check_name, parse_itemized, relative_backup_path


def test_relative_backup_path() -> None:
    assert relative_backup_path("/etc/app/app.conf") == PurePosixPath("etc/app/app.conf")
    assert relative_backup_path("etc/./app") == PurePosixPath("etc/app")
    for bad in ("", "/", "/etc/../root", "..", "a/\0b"):
        with pytest.raises(TargetNotAllowedError):
            relative_backup_path(bad)


def test_check_name() -> None:
    assert check_name("host", "web1.example.org") == "web1.example.org"
    for bad in ("..", ".", "a/b", "-rf", "x\0"):
        with pytest.raises(TargetNotAllowedError):
            check_name("host", bad)


def test_parse_itemized() -> None:
    out = "\n".join([
        "cd+++++++++ ./",
        ">f+++++++++ app.conf",
        ">f.st...... conf.d/a.conf",
        ".d..t...... conf.d/",
        "cL+++++++++ conf.d/current.conf -> a.conf",
        "*deleting   old.conf",
        "sending incremental file list",
    ])
    assert parse_itemized(out) == [
        "create directory ./",
        "create file app.conf",
        "update file conf.d/a.conf (>f.st......)",
        "change attributes of directory conf.d/ (.d..t......)",
        "create symlink conf.d/current.conf -> a.conf",
        "deleting old.conf",
    ]
