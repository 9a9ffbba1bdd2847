"""Fixtures every routing test shares: a fake clock, and a real SQLite ledger that uses it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from ci_orch.ledger import Ledger, open_ledger
from tests.routing.support import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def ledger(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Ledger]:
    led = open_ledger(f"sqlite:///{tmp_path}/ledger.sqlite", clock=clock.time)
    yield led
    await led.aclose()
