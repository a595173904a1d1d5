#!/usr/bin/env python3
"""Audit the installed Python packages for known vulnerabilities with pip-audit.

A known vulnerability fails (exit 1). A vulnerability service that cannot be
reached, or that cannot say anything about the packages (an offline mirror), is a
warning: the build goes on, and the warning says how many packages went unaudited.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def main() -> int:
    audit = Path(sys.executable).parent / "pip-audit"
    try:
        result = subprocess.run([str(audit), "--progress-spinner", "off", "-l", "-f", "json"],
                                capture_output=True, text=True, timeout=300, check=False)
    except subprocess.TimeoutExpired:
        print("pip-audit: WARNING: the vulnerability service did not answer in 300 s")
        return 0
    try:
        report = json.loads(result.stdout)
    except json.JSONDecodeError:
        last = (result.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"pip-audit: WARNING: could not reach the vulnerability service ({last})")
        return 0
    deps = report.get("dependencies", [])
    vulnerable = [d for d in deps if d.get("vulns")]
    skipped = [d for d in deps if d.get("skip_reason")]
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"pip-audit: {dep['name']} {dep.get('version', '')}: {ids}")
    if vulnerable:
        print(f"pip-audit: {len(vulnerable)} package(s) with known vulnerabilities")
        return 1
    audited = len(deps) - len(skipped)
    if skipped:
        print(f"pip-audit: WARNING: {len(skipped)} of {len(deps)} packages could not be "
              "audited (the package index here answers no vulnerability queries)")
    print(f"pip-audit: {audited} packages audited, no known vulnerabilities")
    return 0


if __name__ == "__main__":
    sys.exit(main())
