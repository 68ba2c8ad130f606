"""The demo huvudman: a fictitious Exempelkommun written as a huvudman's SIS exports.

``write_demo(raw_dir, seed=2024, n_units=None)`` writes the files; see
:mod:`pipeline.demo.generator` for what is simulated and how.
"""

from pipeline.demo.generator import (
    DEMO_PNR_PATTERN,
    EFTERNAMN,
    FORNAMN,
    LASAR,
    DemoUnit,
    demo_units,
    write_demo,
)

__all__ = ["DEMO_PNR_PATTERN", "EFTERNAMN", "FORNAMN", "LASAR", "DemoUnit", "demo_units", "write_demo"]
