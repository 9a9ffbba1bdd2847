"""The HTML spend page for a synthetic fortnight, rendered by headless Chromium.

    .venv/bin/python bench/spend_screenshot.py [PNG]   (default /work/spend-screenshot.png)

3,000 calls of 4 teams on 4 providers over 14 days in a SQLite ledger, a $1.10 per team
per day cap: `payments` runs near it. Prints the page's path and the screenshot's.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

from ci_orch.config.policy import Policy
from ci_orch.ledger import open_ledger
from ci_orch.spend import render_html, spend_report

sys.path.insert(0, str(Path(__file__).parent))
from spend_common import synthetic_records  # noqa: E402

CHROMIUM = "/usr/bin/chromium"


def main() -> None:
    png = Path(sys.argv[1] if len(sys.argv) > 1 else "/work/spend-screenshot.png")
    tmp = Path(tempfile.mkdtemp(prefix="spend-shot-"))
    url = f"sqlite:///{tmp}/ledger.sqlite"
    records = synthetic_records(3000)

    async def store() -> None:
        led = open_ledger(url)
        await led.record_calls([r.row(i) for i, r in enumerate(records)], ttl_s=90 * 86_400)
        await led.aclose()

    asyncio.run(store())
    report = spend_report(url, by="team", policy=Policy(max_cost_per_day=1.1))
    page = tmp / "spend.html"
    page.write_text(render_html(report), encoding="utf-8")
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", f"--user-data-dir={tmp / 'profile'}", f"--screenshot={png}",
         "--window-size=1280,1600", page.as_uri()],
        check=True, capture_output=True, timeout=120,
    )
    near = ", ".join(report.teams_near_cap) or "none"
    print(f"page: {page}\nscreenshot: {png}\ntotal ${report.total.cost_usd:.2f}, "
          f"{report.total.requests:,} requests; teams near the cap: {near}")


if __name__ == "__main__":
    main()
