"""Policy files in the Policy lab: import a policy JSON into the sliders, download any policy as one.

The format is the command line's (`python -m queries scorecard --policy FILE`, PRODUCT.md): a JSON object of
policy keys. An imported file is read by policy.Policy exactly as the command line reads it (size cap,
UTF-8 with or without a byte-order mark, duplicate keys, unknown keys, types and ranges), so the messages
name the key that is wrong. A download writes every key, so the file means the same wherever it is read.
"""

import json
import re

import streamlit as st

from app_pages.sections.lab_state import flash, put_policy
from policy import Policy, PolicyError
from policy.policy import MAX_POLICY_BYTES

UPLOAD = "lab_import"


def policy_file_text(policy: Policy) -> str:
    """`policy` as a policy file: every key, sorted, indented (what Policy.from_file reads back)."""
    return json.dumps(policy.to_dict(), indent=2, sort_keys=True) + "\n"


def read_policy_file(data: bytes, source: str) -> Policy:
    """The Policy in an uploaded file's bytes; PolicyError naming `source` or the key that is wrong."""
    if len(data) > MAX_POLICY_BYTES:
        raise PolicyError(source, f"the policy file is over {MAX_POLICY_BYTES // 1000} kB; a policy is a few lines")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise PolicyError(source, "the policy file is not UTF-8 text")
    return Policy.from_json(text, source=source)


def file_name(text: str) -> str:
    """A safe download name from a policy name: letters, digits, dot, dash and underscore."""
    return (re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._") or "policy")[:60] + ".json"


def _import() -> None:
    upload = st.session_state.get(UPLOAD)
    if upload is None:
        return
    source = upload.name if len(upload.name) <= 60 else upload.name[:60] + "…"
    try:
        policy = read_policy_file(upload.getvalue(), source)
    except PolicyError as exc:
        flash("error", f"Not imported — {exc}")
        return
    put_policy(policy)
    flash("success", f"Imported {source} into the sliders: save it under a name to keep it.")


def render_import() -> None:
    st.file_uploader(
        "Import a policy file (JSON, as for the command line)",
        type=["json"],
        key=UPLOAD,
        on_change=_import,
        help="A JSON object with any of the policy keys; keys left out keep the contract default.",
    )


def download_policy(policy: Policy, name: str, key: str, label: str = "Download as a policy file (JSON)") -> None:
    st.download_button(
        label,
        policy_file_text(policy),
        file_name=file_name(name),
        mime="application/json",
        key=key,
        on_click="ignore",
        icon=":material/download:",
        help="A policy file in the command line's format (`python -m queries scorecard --policy FILE`).",
    )
