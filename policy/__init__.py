"""Qualification rules, the Trade Assurance Amount and policy diffs: pure polars, no SQL, no Streamlit."""

from policy.policy import DEFAULT_POLICY, Policy, PolicyError
from policy.rules import BADGES, RULES, Diff, diff, evaluate, failed_rules_text

__all__ = [
    "BADGES",
    "DEFAULT_POLICY",
    "RULES",
    "Diff",
    "Policy",
    "PolicyError",
    "diff",
    "evaluate",
    "failed_rules_text",
]
