"""The loyalty rules core: pydantic models and pure functions, no I/O, no clock, no AWS.

program + account + order + codes -> decision (``scoring.score``), and the state a commit or a
cancel leaves (``commit.commit_order``, ``commit.cancel_order``); point lots (``wallet``), tier
windows (``tiers``) and KPI formulas (``kpis``). Adapters and handlers build on it; it builds
on nothing of theirs.
"""
