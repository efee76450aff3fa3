"""Qualification rules, the Trade Assurance Amount and policy diffs (WhatIfEngine: the same diff at slider speed):
pure polars and numpy, no SQL, no Streamlit."""

from policy.policy import DEFAULT_POLICY, Policy, PolicyError
from policy.rules import BADGES, RULES, Diff, diff, evaluate, failed_rules_text
from policy.whatif import Step, WhatIfEngine

__all__ = [
    "BADGES",
    "DEFAULT_POLICY",
    "RULES",
    "Diff",
    "Policy",
    "PolicyError",
    "Step",
    "WhatIfEngine",
    "diff",
    "evaluate",
    "failed_rules_text",
]
