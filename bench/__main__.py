"""``python -m bench [NAME ...]`` runs the named benchmarks (default: all)."""

from __future__ import annotations

import importlib
import sys

ALL = ["core", "desk", "mail", "alerts", "wiki"]


def main() -> None:
    for name in sys.argv[1:] or ALL:
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError:
            print(f"benchmark {name!r} is not available")
            continue
        module.main()


if __name__ == "__main__":
    main()
