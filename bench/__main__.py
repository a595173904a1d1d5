"""``python -m bench [NAME ...]`` runs the named benchmarks.

Without a name it prints the one table of the hub's targets (``bench.cluster``);
the older, narrower benchmarks (``core``, ``desk``, ``mail``, ``alerts``, ``wiki``,
...) still run by name."""

from __future__ import annotations

import importlib
import sys

ALL = ["cluster"]


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
