"""Dependency audit: pip-audit over requirements.lock finds no known vulnerability that is not
accepted, with its reason, in SECURITY.md ("Accepted findings"; that table is the only list).

pip-audit runs from its own venv (build/audit-venv, made by `make test` and `make audit` from
requirements-audit.lock) against PyPI's vulnerability data. It reads the pins as they are
(--no-deps --disable-pip): no resolution, no install. When that data cannot be had (no network,
or an index that does not serve PyPI's per-release JSON API), the audit is skipped with a line
saying so: a skip, never a pass.
"""
import json
import re
import subprocess
from typing import Dict, List, NamedTuple, Set, Tuple

import pytest

from tests.conftest import ROOT

PIP_AUDIT = ROOT / "build" / "audit-venv" / "bin" / "pip-audit"
LOCK = ROOT / "requirements.lock"
SECURITY = ROOT / "SECURITY.md"
CACHE = ROOT / "build" / "audit-cache"
TABLE_HEADING = "## Accepted findings"
# How pip-audit says a pin's data could not be had (PyPI answered 404 for the release).
NOT_ON_PYPI = "not found on PyPI"
# What a failure to reach the vulnerability service looks like in pip-audit's stderr.
NETWORK_ERROR = re.compile(
    r"ConnectionError|ConnectTimeout|ReadTimeout|ProxyError|SSLError|Max retries exceeded|"
    r"Name or service not known|Temporary failure in name resolution|Connection refused|"
    r"network may be blocking",
)


class Accepted(NamedTuple):
    vuln_id: str
    package: str
    version: str


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins() -> Dict[str, str]:
    found = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            found[canonical(name)] = version.strip()
    return found


def accepted_findings() -> List[Accepted]:
    """The rows of SECURITY.md's table: | ID | package version | why accepted |."""
    text = SECURITY.read_text(encoding="utf-8")
    assert TABLE_HEADING in text, f"SECURITY.md has no '{TABLE_HEADING}' section"
    section = text.split(TABLE_HEADING, 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.lstrip().startswith("|"):
            continue
        cells = [cell.strip().strip("`") for cell in line.strip().strip("|").split("|")]
        if cells[0].lower() in ("id", "vulnerability") or set(cells[0]) <= set("-: "):
            continue  # the header and its separator
        match = re.fullmatch(r"(\S+)\s+(\S+)", cells[1]) if len(cells) >= 3 else None
        assert re.fullmatch(r"[A-Z]+-[\w-]+", cells[0]) and match, (
            f"SECURITY.md: a row of the accepted findings reads '| ID | package version | "
            f"why |', not: {line.strip()}")
        rows.append(Accepted(cells[0], canonical(match.group(1)), match.group(2)))
    return rows


def run_pip_audit(ignore: List[str]) -> Tuple[dict, str]:
    if not PIP_AUDIT.exists():
        pytest.fail(f"No {PIP_AUDIT.relative_to(ROOT)}; `make test` (or `make audit`) makes it.")
    command = [str(PIP_AUDIT), "-r", str(LOCK), "--no-deps", "--disable-pip",
               "--format", "json", "--progress-spinner", "off", "--cache-dir", str(CACHE)]
    for vuln_id in ignore:
        command += ["--ignore-vuln", vuln_id]
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240)
    except subprocess.TimeoutExpired:
        pytest.skip("Dependency audit not run: PyPI's vulnerability service did not answer "
                    "within 240 s.")
    # Exit 0: nothing found, 1: findings; either way the report is JSON on stdout. A failure to
    # reach the service prints no report, only an error.
    try:
        report = json.loads(done.stdout)
    except ValueError:
        if NETWORK_ERROR.search(done.stderr):
            pytest.skip("Dependency audit not run: PyPI's vulnerability service could not be "
                        "reached (network error).")
        pytest.fail(f"pip-audit failed (exit {done.returncode}):\n{done.stderr[-3000:]}")
    dependencies = report.get("dependencies", [])
    unaudited = [dep for dep in dependencies if "skip_reason" in dep]
    if dependencies and len(unaudited) == len(dependencies):
        reason = unaudited[0]["skip_reason"]
        pytest.skip(
            "Dependency audit not run: no vulnerability data for any pin (pypi.org's per-release "
            f"JSON API is not served from this network; pip-audit says: {reason})"
            if NOT_ON_PYPI in reason else f"Dependency audit not run: {reason}")
    # Some pins audited and some not: a pin nobody looked at is not a pass.
    assert not unaudited, "pip-audit could not audit these pins:\n" + "\n".join(
        f"  {dep['name']}: {dep['skip_reason']}" for dep in unaudited)
    return report, done.stderr


def findings(report: dict) -> List[Tuple[str, str, str, Set[str], List[str]]]:
    """(package, version, id, id and aliases, fix versions) of every vulnerability reported."""
    return [
        (canonical(dep["name"]), dep.get("version", "?"), vuln["id"],
         {vuln["id"], *vuln.get("aliases", [])}, vuln.get("fix_versions", []))
        for dep in report.get("dependencies", [])
        for vuln in dep.get("vulns", [])
    ]


def aliases(vuln_id: str, ids: Set[str]) -> str:
    others = sorted(ids - {vuln_id})
    return f" (also {', '.join(others)})" if others else ""


def test_accepted_findings_are_for_the_pinned_versions():
    """An acceptance is for one version: once the pin moves, the finding must be looked at
    again (and the row updated or removed). Needs no network."""
    rows = accepted_findings()
    pinned = pins()
    ids = [row.vuln_id for row in rows]
    assert len(ids) == len(set(ids)), f"SECURITY.md lists an ID twice: {sorted(ids)}"
    stale = [f"{row.vuln_id}: {row.package} {row.version}, but requirements.lock pins "
             f"{pinned.get(row.package, 'nothing')}"
             for row in rows if pinned.get(row.package) != row.version]
    assert not stale, "Accepted findings for versions no longer pinned:\n" + "\n".join(stale)


def test_no_vulnerability_beyond_the_accepted_ones():
    rows = accepted_findings()
    accepted_ids = [row.vuln_id for row in rows]
    report, _ = run_pip_audit(ignore=accepted_ids)
    new = findings(report)
    assert not new, (
        "Known vulnerabilities in requirements.lock that SECURITY.md does not accept "
        "(upgrade the pin, or add a row to its table saying why not):\n" + "\n".join(
            f"  {package} {version}: {vuln_id}{aliases(vuln_id, ids)} "
            f"(fixed in: {', '.join(fixes) or 'no fix yet'})"
            for package, version, vuln_id, ids, fixes in new))

    if rows:
        # Every acceptance still matches a finding: the same audit without the ignores (its
        # answers now cached). An ID may be pip-audit's own or one of its aliases.
        everything, _ = run_pip_audit(ignore=[])
        reported = {(package, vuln_id) for package, _, _, ids, _ in findings(everything)
                    for vuln_id in ids}
        gone = [f"  {row.vuln_id} ({row.package} {row.version})" for row in rows
                if (row.package, row.vuln_id) not in reported]
        assert not gone, ("SECURITY.md accepts findings pip-audit no longer reports for the "
                          "pinned versions; remove their rows:\n" + "\n".join(gone))
