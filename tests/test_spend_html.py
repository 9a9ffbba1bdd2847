"""The HTML spend page rendered by headless Chromium: the charts exist after rendering,
the team near its cap is highlighted, and hostile names stay text."""

from __future__ import annotations

import shutil
import struct
import subprocess
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from ci_orch.cli import cli
from ci_orch.config import load_config
from ci_orch.report.model import Call
from ci_orch.telemetry import record_calls
from tests.conftest import skip_or_fail
from tests.telemetry.fill import cost_by, fill, today
from tests.telemetry.support import spend_config

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE_TEAM = "<script>alert(1)</script>"
HOSTILE_PROVIDER = "x\"><img src=y onerror=alert(2)>"


class Dom(HTMLParser):
    """Every element as (tag, attributes), and the page's text."""

    def __init__(self, markup: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text: list[str] = []
        self.feed(markup)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))

    def handle_data(self, data: str) -> None:
        self.text.append(data)

    def find(self, tag: str, cls: str | None = None) -> list[dict[str, str]]:
        return [a for t, a in self.elements
                if t == tag and (cls is None or cls in a.get("class", "").split())]


def chromium(*args: str, profile: Path) -> str:
    if shutil.which(CHROMIUM) is None:
        skip_or_fail(f"{CHROMIUM} not found (Debian: apt-get install -y chromium)")
    done = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=True)
    return done.stdout


def png_size(path: Path) -> tuple[int, int]:
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def _hostile_record(tmp: Path, url: str) -> None:
    cfg = tmp / "hostile.yml"
    cfg.write_text(f'ledger: {{url: "{url}"}}\n')
    config = load_config(cfg, env={"CI_ORCH_TEAM": HOSTILE_TEAM})
    call = Call(chunk_id="e1", provider=HOSTILE_PROVIDER, model="m", attempt=1, outcome="ok",
                input_tokens=10, output_tokens=5, cost_usd=0.0001)
    assert record_calls([call], config, run_id="eval-1", task="eval",
                        finished_at=datetime.now(UTC)) == ()


def test_the_page_renders_its_charts_and_highlights_the_team_near_its_cap(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path}/ledger.sqlite"
    runs = fill(tmp_path, url)
    _hostile_record(tmp_path, url)
    per_day = cost_by(runs, "team", "day")
    web, data = per_day[("web", today())], per_day[("data", today())]
    near, far = ("web", "data") if web >= data else ("data", "web")
    cap = per_day[(near, today())] / 0.9
    assert per_day[(far, today())] < 0.8 * cap, "the scenario needs one team below 80%"
    page = tmp_path / "spend.html"
    result = CliRunner().invoke(cli, [
        "spend", "--config", str(spend_config(tmp_path, ledger_url=url, cap=cap)),
        "--format", "html", "--output", str(page)])
    assert result.exit_code == 0, result.output
    markup = page.read_text()
    assert "http://" not in markup.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in markup and "https://" not in markup

    dom = Dom(chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile"))
    shot = tmp_path / "spend.png"
    chromium(f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri(),
             profile=tmp_path / "profile")
    assert png_size(shot) == (1280, 1600) and shot.stat().st_size > 20_000

    # Cost by day, stacked by provider: one segment per day and provider with calls.
    assert dom.find("svg") and any(a.get("id") == "cost-by-day" for a in dom.find("svg"))
    segs = dom.find("rect", "seg")
    want = set(cost_by(runs, "day", "provider")) | {(today(), HOSTILE_PROVIDER)}
    assert sorted((a["data-day"], a["data-provider"]) for a in segs) == sorted(want)
    assert sorted(a["data-day"] for a in dom.find("g", "day")) == sorted({d for d, _ in want})
    heights = [float(a["height"]) for a in segs if float(a["data-cost"]) > 0]
    assert heights and all(h > 0 for h in heights)
    assert {a["data-provider"] for a in dom.find("li")} == {p for _, p in want}
    # Cost by team: a bar per team; only the team near its cap is highlighted.
    bars = {a["data-team"]: a["class"].split() for a in dom.find("rect", "team-bar")}
    assert set(bars) == {"web", "data", HOSTILE_TEAM}
    assert "near-cap" in bars[near] and "near-cap" not in bars[far]
    rows = {a["data-team"] for a in dom.find("tr", "near-cap")}
    assert near in rows and far not in rows
    # Hostile names are text, never elements.
    assert not dom.find("script") and not dom.find("img")
    text = "".join(dom.text)
    assert HOSTILE_TEAM in text and HOSTILE_PROVIDER in text


@pytest.mark.parametrize("fmt", ["text", "csv"])
def test_text_and_csv_list_every_group(tmp_path: Path, fmt: str) -> None:
    url = f"sqlite:///{tmp_path}/ledger.sqlite"
    _hostile_record(tmp_path, url)
    result = CliRunner().invoke(cli, ["spend", "--ledger", url, "--format", fmt, "--by", "team",
                                      "--config", str(spend_config(tmp_path, ledger_url=url,
                                                                   cap=0.0001))])
    assert result.exit_code == 0, result.output
    assert HOSTILE_TEAM in result.output
    if fmt == "csv":
        lines = result.output.splitlines()
        assert lines[0].startswith("team,requests,errors,error_rate")
        assert lines[-1].startswith("(total),1,0,0.0,")
    else:
        assert "near cap" in result.output  # $0.0001 of a $0.0001 cap
