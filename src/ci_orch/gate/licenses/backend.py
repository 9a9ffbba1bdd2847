"""The licence backend: SPDX identifier lines, licence text fingerprints and one-line
"licensed under the GNU GPL" notices, judged against the deny/allow policy."""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Sequence

from ci_orch.config.gate import LicensesConfig
from ci_orch.gate.interface import Scanner
from ci_orch.gate.licenses.index import LicenseIndex, TextMatch
from ci_orch.gate.licenses.policy import LicensePolicy
from ci_orch.gate.model import Finding, ScanText, fingerprint, line_starts

_SPDX = re.compile(r"SPDX-License-Identifier:\s*([^\n]*?)\s*(?:\*/|-->|#}|\"|'|$)", re.MULTILINE)
_MENTION = re.compile(
    r"(?i)\b(?:licen[cs]ed|released|distributed|available|provided|published)\s+under\s+"
    r"(?:the\s+)?(?:terms\s+of\s+(?:the\s+)?)?(?P<name>GNU\s+Affero\s+General\s+Public\s+"
    r"Licen[cs]e|GNU\s+(?:Lesser|Library)\s+General\s+Public\s+Licen[cs]e|GNU\s+General\s+"
    r"Public\s+Licen[cs]e|(?:GNU\s+)?A?L?GPL|Server\s+Side\s+Public\s+Licen[cs]e|SSPL|"
    r"European\s+Union\s+Public\s+Licen[cs]e|EUPL|Open\s+Software\s+Licen[cs]e|"
    r"CC[\s-]BY[\s-](?:NC[\s-])?SA)(?:[\s,(]*(?:v(?:ersion)?\.?\s*)?(?P<ver>\d(?:\.\d)?))?"
)
_LICENSE_FILE = re.compile(r"(?i)(?:^|/)(?:licen[cs]e|copying|notice|copyright)(?:[.\-_][^/]*)?$")
_PREFILTER = ("licen", "warrant", "copyright", "redistribut", "gnu", "copyleft", "sublicens")
# Licence text is only looked for within this many lines of a licence word: a pasted
# licence names itself, its warranty or its copyright every few dozen lines, and shingling
# whole source files that merely carry a licence header was most of the licence scan.
REGION_LINES = 80
# Every notice names its licence with one of these; the notice may wrap onto a few lines.
_NOTICE_WORDS = ("gpl", "licen", "sspl", "eupl", "cc-by", "cc by")
NOTICE_LINES = 3
VERBATIM_SHARE = 0.5  # of a licence's (sampled) shingles: a pasted text, not a notice
VERBATIM_FULL_HITS = 100
SAMPLED_SHINGLES = 48  # scripts/build_license_index.py SAMPLE
MAX_NOTICES = 20


def _family(name: str) -> str:
    lowered = name.lower()
    for needle, family in (
        ("affero", "AGPL"), ("agpl", "AGPL"), ("lesser", "LGPL"), ("library", "LGPL"),
        ("lgpl", "LGPL"), ("server side", "SSPL"), ("sspl", "SSPL"), ("european", "EUPL"),
        ("eupl", "EUPL"), ("open software", "OSL"), ("nc", "CC-BY-NC-SA"), ("cc", "CC-BY-SA"),
    ):
        if needle in lowered:
            return family
    return "GPL"


class LicenseScanner(Scanner):
    name = "licenses"

    def __init__(
        self,
        policy: LicensePolicy,
        *,
        verbatim_text: bool = True,
        index: LicenseIndex | None = None,
    ) -> None:
        self.policy = policy
        self.verbatim_text = verbatim_text
        self._index = index

    @classmethod
    def from_config(cls, config: LicensesConfig) -> LicenseScanner:
        return cls(LicensePolicy.from_config(config), verbatim_text=config.verbatim_text)

    @property
    def index(self) -> LicenseIndex:
        if self._index is None:
            self._index = LicenseIndex.packaged()
        return self._index

    def scan(self, texts: Sequence[ScanText]) -> list[Finding]:
        findings: list[Finding] = []
        for text in texts:
            starts = line_starts(text.text)
            lowered = text.text.lower()
            declared = self._spdx(text, starts, findings)
            self._mentions(text, starts, lowered, findings)
            self._fingerprint(text, starts, lowered, declared, findings)
        return findings

    def _spdx(self, text: ScanText, starts: list[int], out: list[Finding]) -> bool:
        declared = False
        for match in _SPDX.finditer(text.text):
            expression = match.group(1).strip()
            if not expression:
                continue
            declared = True
            denied, normal = self.policy.expression_denied(expression)
            if denied:
                out.append(self._finding(text, starts, match.start(1), match.end(1),
                    "license-spdx-denied", normal, "high",
                    f"SPDX-License-Identifier {normal} is denied by gate.licenses"))
        return declared

    def _mentions(
        self, text: ScanText, starts: list[int], lowered: str, out: list[Finding]
    ) -> None:
        if "under" not in lowered:
            return
        matches = (m for low, high in _regions(lowered, starts, _NOTICE_WORDS, NOTICE_LINES)
                   for m in _MENTION.finditer(text.text, low, high))
        for number, match in enumerate(matches):
            if number >= MAX_NOTICES:
                break
            version = match.group("ver")
            spdx_id = _family(match.group("name")) + (f"-{version}" if version else "-")
            if version and "." not in version:
                spdx_id += ".0"
            if self.policy.denied(spdx_id):
                name = spdx_id.rstrip("-")
                out.append(self._finding(text, starts, match.start(), match.end(),
                    "license-notice-denied", name, "high",
                    f"notice places this code under {name}, denied by gate.licenses",
                    confidence="medium"))

    def _fingerprint(
        self, text: ScanText, starts: list[int], lowered: str, declared: bool, out: list[Finding]
    ) -> None:
        regions = _regions(lowered, starts, _PREFILTER, REGION_LINES)
        if not regions:
            return
        match = self._best_match(text.text, regions)
        if match is None:
            return
        record = match.record
        if self.policy.denied(record.id) or any(self.policy.denied(a) for a in record.aliases):
            out.append(self._text_finding(text, starts, match, "license-text-denied", "high"))
        elif self._pasted(text, match, declared):
            out.append(self._text_finding(text, starts, match, "license-text-undeclared", "medium"))

    def _best_match(self, text: str, regions: list[tuple[int, int]]) -> TextMatch | None:
        best: TextMatch | None = None
        for low, high in regions:
            found = self.index.match(text[low:high])
            if found is not None and (best is None or found.hits > best.hits):
                best = dataclasses.replace(found, first=found.first + low, last=found.last + low)
        return best

    def _pasted(self, text: ScanText, match: TextMatch, declared: bool) -> bool:
        """Most of a licence's text, not just its notice header (a header such as MPL's
        "This Source Code Form is subject to..." declares the licence, like an SPDX line)."""
        if not self.verbatim_text or declared or _LICENSE_FILE.search(text.path):
            return False
        if match.record.full:
            return match.hits >= min(VERBATIM_FULL_HITS, VERBATIM_SHARE * match.record.size)
        return match.hits >= VERBATIM_SHARE * SAMPLED_SHINGLES

    def _text_finding(
        self, text: ScanText, starts: list[int], match: TextMatch, rule: str, severity: str
    ) -> Finding:
        record = match.record
        verdict = "denied by gate.licenses" if rule.endswith("denied") else (
            "pasted into a file that declares no SPDX-License-Identifier")
        message = f"text of {record.id} ({record.name}, {match.hits} matching phrases) {verdict}"
        confidence = "high" if match.hits >= 30 or not record.full else "medium"
        return self._finding(text, starts, match.first, match.last, rule, record.id, severity,
                             message, confidence=confidence)

    def _finding(
        self, text: ScanText, starts: list[int], start: int, end: int, rule: str, spdx_id: str,
        severity: str, message: str, *, confidence: str = "high",
    ) -> Finding:

        first = bisect.bisect_right(starts, start) - 1
        line_end = starts[first + 1] - 1 if first + 1 < len(starts) else len(text.text)
        last_line = text.line_of(max(start, end - 1), starts)
        line = text.line_of(start, starts)
        return Finding(
            kind="license", rule=rule, path=text.path, line=line,
            end_line=last_line if last_line != line else None,
            column=(start - starts[first] + 1, min(end, line_end) - starts[first] + 1),
            severity=severity,  # type: ignore[arg-type]
            confidence=confidence,  # type: ignore[arg-type]
            fingerprint=fingerprint("license", rule, text.path, spdx_id),
            preview=text.text[max(starts[first], start - 60):min(line_end, start + 160)]
            .strip()[:160],
            message=message, origin=text.origin, label=text.label,
        )


def _regions(
    lowered: str, starts: list[int], words: tuple[str, ...], radius: int
) -> list[tuple[int, int]]:
    """Merged (start, end) offsets of the text within `radius` lines of one of `words`."""
    lines: set[int] = set()
    for word in words:
        pos = lowered.find(word)
        while pos != -1:
            lines.add(bisect.bisect_right(starts, pos) - 1)
            pos = lowered.find(word, pos + 1)
    spans: list[list[int]] = []
    for line in sorted(lines):
        low, high = max(0, line - radius), min(len(starts), line + radius + 1)
        if spans and low <= spans[-1][1]:
            spans[-1][1] = max(spans[-1][1], high)
        else:
            spans.append([low, high])
    return [(starts[low], starts[high] if high < len(starts) else len(lowered))
            for low, high in spans]
