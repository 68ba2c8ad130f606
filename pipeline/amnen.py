"""Grundskola subject codes (Skolverket's), the one list every module uses (docs/contracts.md)."""

from __future__ import annotations

#: The 16 subjects of the meritvärde besides språkval, with ``SV`` as the Swedish subject (a pupil
#: reads ``SV`` or ``SVA``, not both).
AMNEN_16: tuple[str, ...] = (
    "SV", "EN", "MA", "BI", "FY", "KE", "TK", "GE", "HI", "RE", "SH", "BL", "HKK", "IDH", "MU", "SLJ",
)  # fmt: skip

#: Moderna språk som språkval: the 17th meritvärde subject where it raises the sum.
SPRAKVAL = "M2"

#: Every subject code a grade file may carry: the 16, svenska som andraspråk, språkval,
#: modersmål and teckenspråk.
AMNEN: tuple[str, ...] = (*AMNEN_16[:1], "SVA", *AMNEN_16[1:], SPRAKVAL, "ML", "TN")
