"""``python -m bench [NAME ...]`` runs the named benchmarks (default: all)."""

from __future__ import annotations

import importlib
import sys

ALL = ["core"]


def main() -> None:
    for name in sys.argv[1:] or ALL:
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main()
