"""The Assessments page and the supplier profile's badge history through AppTest, on the hand-built warehouse
of tests/test_assess.py (its expected badges are worked by hand there) with its grace-1 policy saved as current.

The data ends 2024-06-11 (the day after the last claim, filed 2024-06-10), so "live" is the assessment at
2024-06-11 with grace over the runs recorded before it. Worked by hand for that date (W182 starts 2023-12-12):
1 qualifies (3 deals, 3,000); 2 has no deal in the window and was kept under grace at 2024-06-01 with its
one assessment of grace used, so it loses the badge; 3 fails the claims rule (1 upheld / 2 orders) and keeps
it under grace; 6 qualifies. Against the published 2024-06-01 run, one holder differs: 2, who would lose it.
"""

import json
from datetime import date

import polars as pl
import pyarrow as pa
import pytest
from streamlit.testing.v1.element_tree import Caption, Markdown

from policy import Policy
from store import assessments as assessments_store
from store import policies as policies_store
from tests.apptest import app_test, build_warehouse, clear_caches
from tests.test_assess import POLICY, warehouse_tables
from warehouse.connection import warehouse_key

PAGE = "app_pages/assessments.py"


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    return build_warehouse(tmp_path_factory.mktemp("assess") / "warehouse.duckdb", warehouse_tables())


@pytest.fixture
def make_app(warehouse, tmp_path, monkeypatch):
    """An AppTest factory for a role, with the grace-1 policy saved and marked current."""
    monkeypatch.setenv("TRUST_PUBLISH_DIR", str(tmp_path / "feeds"))
    monkeypatch.delenv("TRUST_WAREHOUSE_NAME", raising=False)

    def make(role: str = "admin"):
        monkeypatch.setenv("TRUST_DEMO_ROLE", role)
        at = app_test(warehouse, tmp_path, monkeypatch)
        key = warehouse_key(warehouse)
        if policies_store.list_policies(key).is_empty():
            policies_store.save_policy(key, "Grace one", "pia", "", Policy.from_mapping(POLICY))
            policies_store.mark_current(key, "Grace one", "pia")
        return at

    yield make
    clear_caches()


def _open(at):
    at.run()
    at.switch_page(PAGE).run()
    assert not at.exception, at.exception
    return at


def _run(at, as_of: date, *, supersede=False, publish=False):
    at.date_input(key="assess_as_of").set_value(as_of)
    if supersede:
        at.checkbox(key="assess_supersede").check()
    if publish:
        at.checkbox(key="assess_publish").check()
    next(b for b in at.button if b.label == "Run assessment").click().run()
    assert not at.exception, at.exception
    return at


def _tables(at, column: str) -> list:
    """The page's tables that have `column`, in page order (pandas frames)."""
    return [frame.value for frame in at.dataframe if column in frame.value.columns]


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_a_policy_owner_runs_publishes_and_reads_the_changes(make_app, warehouse, tmp_path):
    at = _open(make_app("policy_owner"))
    assert any("No assessment has been recorded" in i.value for i in at.info)
    assert at.date_input(key="assess_as_of").value == date(2024, 6, 1)  # the 1st on or before the data's end

    _run(at, date(2024, 5, 1), publish=True)
    assert "Recorded run 1" in at.success[0].value and "3 of 6 suppliers hold the badge" in at.success[0].value
    _run(at, date(2024, 6, 1), publish=True)
    assert "4 of 6" in at.success[0].value and "1 kept under grace" in at.success[0].value
    assert (tmp_path / "feeds" / "storefront-2024-06-01.csv").exists()

    runs = _tables(at, "recorded_at")[0]
    assert runs["run_id"].tolist() == [2, 1] and runs["policy"].tolist() == ["Grace one v1"] * 2
    assert runs["actor"].tolist() == ["local demo"] * 2  # the session's account (demo mode here)

    # Run 2 against run 1, by hand: 3 gained, 2 kept under grace, 6's Amount 1,000 → 3,000.
    assert [
        _metric(at, label) for label in ("Gained the badge", "Lost the badge", "Kept under grace", "Amount changed")
    ] == [
        "1",
        "0",
        "1",
        "1",
    ]
    changes = _tables(at, "change")[0]
    assert changes[["supplier_id", "change"]].values.tolist() == [  # the change in words on screen
        [3, "Gained the badge"],
        [2, "Kept under grace"],
        [6, "Amount changed"],
    ]
    assert changes["ta_amount_change_usd"].tolist()[2] == "+$2,000"  # 6's Amount 1,000 → 3,000
    assert at.get("download_button")[0].proto.label.startswith("Download 3 changes")

    # Published (run 2) vs live at 2024-06-11: supplier 2 would lose the badge (see the module docstring).
    assert _metric(at, "Holders that would differ") == "1" and _metric(at, "Would lose the badge") == "1"
    live = _tables(at, "change")[-1]
    assert live[["supplier_id", "change", "badge_after"]].values.tolist() == [[2, "Lost the badge", "Not qualified"]]

    # The same date again without supersede: refused, nothing recorded; with supersede: a new run.
    _run(at, date(2024, 6, 1))
    assert "already assessed" in at.error[0].value
    assert _tables(at, "recorded_at")[0].shape[0] == 2
    _run(at, date(2024, 6, 1), supersede=True)
    runs = _tables(at, "recorded_at")[0]
    assert runs["run_id"].tolist() == [3, 2, 1] and runs["superseded_by"].tolist()[1] == 3
    # Run 3 against the run it replaced (same data, same policy): nobody gained, lost or changed Amount;
    # supplier 2 is still held only by grace, which the comparison always lists.
    at.toggle(key="vs_replaced").set_value(True).run()
    assert any("Compared with run 2" in c.value for c in at.caption)
    assert [
        _metric(at, label) for label in ("Gained the badge", "Lost the badge", "Kept under grace", "Amount changed")
    ] == [
        "0",
        "0",
        "1",
        "0",
    ]
    assert [e for e in assessments_store.audit_entries(warehouse_key(warehouse))["action"]] == [
        "assess",
        "publish",
        "assess",
        "publish",
        "supersede",
        "publish",  # the form keeps "Publish" ticked: the supersede was published too
    ]

    # The Audit page lists them under the session's account, newest first.
    at.switch_page("app_pages/audit.py").run()
    assert not at.exception, at.exception
    trail = _tables(at, "what")[0]
    assert trail["action"].tolist() == ["Published", "Superseded", "Published", "Assessed", "Published", "Assessed"]
    assert set(trail["actor"]) == {"local demo"}


def test_a_category_manager_reads_but_cannot_assess(make_app, warehouse):
    key = warehouse_key(warehouse)
    at = _open(make_app("category_manager"))
    assert not [b for b in at.button if b.label == "Run assessment"]
    assert any("Policy owners and admins run and publish" in c.value for c in at.caption)

    # The section's action itself refuses the role, and nothing is recorded.
    from app_pages.sections.assessments_run import run_from_page
    from auth.roles import PermissionDenied
    from auth.session import User

    view = at.session_state["_view"]
    manager = User(email="cm@example.com", role="category_manager", demo=False, signed_in=True)
    with pytest.raises(PermissionDenied):
        run_from_page(view, key, manager, date(2024, 6, 1), supersede=False, publish=False)
    assert assessments_store.list_runs(key).is_empty()

    owner = User(email="pia@example.com", role="policy_owner", demo=False, signed_in=True)
    run_from_page(view, key, owner, date(2024, 6, 1), supersede=False, publish=False)
    at.run()
    runs = _tables(at, "recorded_at")[0]
    assert runs["actor"].tolist() == ["pia@example.com"]
    assert any("Nothing has been published yet" in i.value for i in at.info)
    assert assessments_store.list_runs(key).filter(pl.col("actor") == "cm@example.com").is_empty()


def _profile_sections(supplier_id: int):
    """The profile's assessment sections alone, for one supplier, with its live row at 2024-06-11."""
    from datetime import date

    import polars as pl

    from app_pages.sections.badge_history import render_badge_history, render_storefront_card
    from app_pages.sections.context import View
    from policy import DEFAULT_POLICY, evaluate
    from queries.scorecard import fetch_features
    from warehouse import settings
    from warehouse.connection import warehouse_engine

    url = settings.warehouse_url()
    with warehouse_engine(url).connect() as conn:
        features = fetch_features(conn, date(2024, 6, 11))
    scored = features.join(evaluate(features, DEFAULT_POLICY, margins=False), on="supplier_id")
    live = (
        scored.filter(pl.col("supplier_id") == supplier_id)
        .with_columns(pl.col("badge").cast(pl.String))
        .row(0, named=True)
    )
    view = View(url, "DuckDB", date(2024, 6, 11), (), (), DEFAULT_POLICY, "PRODUCT.md default", date(2024, 6, 11))
    render_storefront_card(view, live)
    render_badge_history(view, live, projection=("not_qualified", "at the 2024-07-01 assessment"))


def card_tiles(at) -> list[tuple[str, str]]:
    """The (label, value) tiles of the page in order (ui.widgets.card_tile: a caption, then a bold value)."""
    nodes = []

    def walk(node):
        for child in getattr(node, "children", {}).values():
            nodes.append(child)
            walk(child)

    walk(at.main)
    return [
        (label.value, value.value.strip("*").replace("\\", ""))
        for label, value in zip(nodes, nodes[1:], strict=False)
        if type(label) is Caption and type(value) is Markdown and value.value.startswith("**")
    ]


def timelines(at) -> int:
    """How many badge timelines the page drew (Vega-Lite charts with the timeline's title)."""
    titles = [json.loads(c.proto.spec)["title"]["text"] for c in at.get("vega_lite_chart")]
    return titles.count("Badge and Amount at each assessment")


def test_profile_sections_show_published_live_and_the_timeline(warehouse, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from queries.__main__ import main

    monkeypatch.setenv("TRUST_WAREHOUSE_URL", warehouse)
    monkeypatch.setenv("TRUST_APP_DB_URL", f"sqlite:///{tmp_path / 'app.sqlite'}")
    monkeypatch.delenv("TRUST_WAREHOUSE_NAME", raising=False)
    policy_file = tmp_path / "grace1.json"
    policy_file.write_text(json.dumps(POLICY))
    for as_of, publish in (("2024-05-01", False), ("2024-06-01", True)):
        args = ["assess", "--as-of", as_of, "--policy", str(policy_file), "--actor", "pia"]
        assert main(args + (["--publish", str(tmp_path)] if publish else [])) == 0

    at = AppTest.from_function(_profile_sections, args=(2,), default_timeout=30).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    # Supplier 2 at the published 2024-06-01 run: kept under grace, two November deals worth 8,000 in 12 months.
    published = dict(card_tiles(at)[:5])  # the storefront card's five tiles come first
    assert published["Badge"] == "Qualified (under grace)"
    assert published["Covered deals, 12 months"] == "2" and published["Deal value, 12 months"] == "$8,000"
    assert metrics["Published badge"] == "Qualified (under grace)"
    assert metrics["Live standing"] == "Not qualified"  # the default policy, no deals in six months
    assert metrics["Projected badge"] == "Not qualified"
    captions = [c.value.replace("\\", "") for c in at.caption]  # Markdown escapes of names and dates removed
    assert any("assessed 2024-06-01 · grace1.json · Amount $4,000" in c for c in captions), captions
    assert any("Storefront trust card, as buyers see it: published" in c for c in captions)
    assert "At the 2024-07-01 assessment · PRODUCT.md default" in captions
    assert timelines(at) == 1
    (timeline,) = [c for c in at.get("vega_lite_chart") if "Badge and Amount" in c.proto.spec]
    points = pa.ipc.open_stream(timeline.proto.data.data).read_all().to_pylist()
    assert [(p["as_of"], p["amount"], p["standing"]) for p in points] == [
        ("2024-05-01", 4000, "Qualified"),
        ("2024-06-01", 4000, "Kept under grace"),
    ]
    history = at.dataframe[0].value
    assert [str(d)[:10] for d in history["as_of"]] == ["2024-05-01", "2024-06-01"]
    # shown as words and money (ui.columns.display), like every table
    assert history["kept_under_grace"].tolist() == ["No", "Yes"]
    assert history["ta_amount_usd"].tolist() == ["$4,000", "$4,000"]
    assert history["badge"].tolist() == ["Qualified", "Qualified"]

    fresh = AppTest.from_function(_profile_sections, args=(3,), default_timeout=30)
    monkeypatch.setenv("TRUST_APP_DB_URL", f"sqlite:///{tmp_path / 'empty.sqlite'}")
    fresh.run()
    assert not fresh.exception, fresh.exception
    assert {m.label: m.value for m in fresh.metric}["Published badge"] == "Not published"
    assert any("no published assessment includes this supplier" in c.value for c in fresh.caption)
    assert timelines(fresh) == 0
    assert any("No recorded assessment includes this supplier yet" in i.value for i in fresh.info)


def test_the_supplier_profile_shows_the_published_card_and_the_timeline(make_app, warehouse, tmp_path):
    from queries.__main__ import main

    at = make_app("category_manager")  # saves the grace-1 policy as the warehouse's current one
    for as_of, publish in (("2024-05-01", False), ("2024-06-01", True)):
        args = ["assess", "--url", warehouse, "--as-of", as_of, "--actor", "pia"]
        assert main(args + (["--publish", str(tmp_path)] if publish else [])) == 0
    at.run()
    at.switch_page("app_pages/suppliers.py").run()
    at.number_input(key="supplier").set_value(2).run()
    assert not at.exception, at.exception
    metrics = {m.label: m.value for m in at.metric}
    # Published 2024-06-01 (grace 1): kept under grace. Live at 2024-06-11 under the same policy: no deals.
    assert metrics["Published badge"] == "Qualified (under grace)"
    assert metrics["Live standing"] == "Not qualified"
    # The storefront card shows the published badge, the live trust card below it the live one; both draw
    # their values as wrapping text (ui.widgets.card_tile): caption, then bold value, never a metric.
    badges = [value for label, value in card_tiles(at) if label == "Badge"]
    assert badges == ["Qualified (under grace)", "Not qualified"]
    assert not [m for m in at.metric if m.label == "Badge"]
    captions = [c.value for c in at.caption]
    assert "Storefront trust card, as a buyer sees it (live figures at the as-of date)" in captions
    assert "**Not qualified**" in [m.value for m in at.markdown]
    assert timelines(at) == 1
    history = _tables(at, "kept_under_grace")[0]
    assert history["kept_under_grace"].tolist() == ["No", "Yes"]
