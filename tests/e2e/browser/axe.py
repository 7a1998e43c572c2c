"""axe-core in a page of headless Chromium: the accessibility scan of the chat page's and the
staff console's tests."""
from typing import Dict, List

import pytest

from tests.conftest import FIGURES, ROOT
from tests.e2e.browser.conftest import ANSWER_TIMEOUT_MS

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def new_page(browser, viewport: Dict[str, int], scale: float = 1):
    # axe is injected as a script, which the demo site's Content-Security-Policy would refuse.
    context = browser.new_context(viewport=viewport, device_scale_factor=scale, bypass_csp=True)
    context.set_default_timeout(ANSWER_TIMEOUT_MS)
    return context.new_page()


def serious_violations(page, state: str) -> List[str]:
    if not AXE.exists():
        pytest.fail(f"No axe-core at {AXE}; `make test` installs it (npm ci).")
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help,
                        targets: v.nodes.map(n => JSON.stringify(n.target))}))"""
    )
    for violation in violations:
        if violation["impact"] not in ("serious", "critical"):
            FIGURES.append(f"axe, {state}: {violation['impact']} {violation['id']}: {violation['help']}")
    return [
        f"{v['impact']} {v['id']} ({v['help']}) at {', '.join(v['targets'])}"
        for v in violations
        if v["impact"] in ("serious", "critical")
    ]
