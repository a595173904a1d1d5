"""cProfile for every thread of every Python process started with this folder on
``PYTHONPATH`` and ``HUB_PROFILE_DIR`` set (``bench.hotpaths`` does both for
``hub serve``, so its reactor child is profiled too).

Each thread gets its own profiler the moment it first runs Python code, timed by
the thread's CPU clock (waiting for a lock, the GIL or the disk costs nothing, so
the numbers are what each path costs, not how long it waited). SIGURG (ignored by
default, used by no server here) clears what they gathered so far, so start-up is
not counted; at exit the process writes them merged to
``HUB_PROFILE_DIR/<command>-<pid>.prof``.
"""

from __future__ import annotations

import os

if os.environ.get("HUB_PROFILE_DIR"):
    import atexit
    import cProfile
    import signal
    import sys
    import threading
    import time
    from typing import Any

    _profiles: list[cProfile.Profile] = []

    def _start_thread(*_: Any) -> None:
        sys.setprofile(None)
        profile = cProfile.Profile(time.thread_time)
        _profiles.append(profile)
        profile.enable()

    def _dump() -> None:
        import pstats

        for profile in _profiles:
            profile.disable()
        command = next((a for a in sys.argv[1:] if not a.startswith("-")), "python")
        path = os.path.join(os.environ["HUB_PROFILE_DIR"], f"{command}-{os.getpid()}.prof")
        pstats.Stats(*_profiles).dump_stats(path)

    def _clear(*_: Any) -> None:
        for profile in _profiles:
            profile.clear()

    threading.setprofile(_start_thread)
    signal.signal(signal.SIGURG, _clear)
    _main = cProfile.Profile(time.thread_time)
    _profiles.append(_main)
    _main.enable()
    atexit.register(_dump)
