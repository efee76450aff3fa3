"""Every TRUST_* environment variable, read here and nowhere else (the README documents each one)."""

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_WAREHOUSE_PATH = REPO / "data" / "warehouse.duckdb"
DEFAULT_WAREHOUSE_URL = f"duckdb:///{DEFAULT_WAREHOUSE_PATH}"
DEFAULT_APP_DB_URL = f"sqlite:///{REPO / 'data' / 'app.sqlite'}"
DEFAULT_ROLES_FILE = REPO / "config" / "roles.toml"
DEFAULT_PUBLISH_DIR = REPO / "data" / "storefront"

# name -> one line for the README's table of settings (tests check the README lists every one).
SETTINGS = {
    "TRUST_WAREHOUSE_URL": "SQLAlchemy URL of the warehouse (default: the embedded DuckDB file data/warehouse.duckdb)",
    "TRUST_APP_DB_URL": (
        "SQLAlchemy URL of the app database: saved policies and the audit trail (default: SQLite data/app.sqlite)"
    ),
    "TRUST_STATEMENT_TIMEOUT_S": "seconds a dashboard query may run before it is stopped (default 60)",
    "TRUST_ROLES_FILE": "the role map (default config/roles.toml)",
    "TRUST_DEMO_ROLE": "in local demo mode (no [auth]), the role everyone gets (default admin)",
    "TRUST_PUBLISH_DIR": "the folder the Assessments page writes storefront feeds to (default data/storefront)",
    "TRUST_WAREHOUSE_NAME": (
        "the name saved policies, the current mark, assessments and the audit trail are kept under "
        "(default: the warehouse URL without its password)"
    ),
    "TRUST_SERVING_DIR": (
        "the folder of the serving layer's snapshots (default: serving/ beside a SQLite app database, else "
        "data/serving)"
    ),
}


def _get(name: str) -> str | None:
    assert name in SETTINGS, name  # every variable is declared (and documented) above
    return os.environ.get(name) or None


def warehouse_url() -> str | None:
    """$TRUST_WAREHOUSE_URL, or None."""
    return _get("TRUST_WAREHOUSE_URL")


def app_db_url() -> str:
    """The app database URL: $TRUST_APP_DB_URL, else the SQLite file data/app.sqlite."""
    return _get("TRUST_APP_DB_URL") or DEFAULT_APP_DB_URL


def statement_timeout_raw() -> str | None:
    """$TRUST_STATEMENT_TIMEOUT_S as given (checked by warehouse.connection.statement_timeout_s)."""
    return _get("TRUST_STATEMENT_TIMEOUT_S")


def roles_file() -> Path:
    """The role map path: $TRUST_ROLES_FILE, else config/roles.toml."""
    return Path(_get("TRUST_ROLES_FILE") or DEFAULT_ROLES_FILE)


def demo_role() -> str:
    """$TRUST_DEMO_ROLE, else admin."""
    return _get("TRUST_DEMO_ROLE") or "admin"


def warehouse_name() -> str | None:
    """$TRUST_WAREHOUSE_NAME, or None."""
    return _get("TRUST_WAREHOUSE_NAME")


def publish_dir() -> Path:
    """$TRUST_PUBLISH_DIR, else data/storefront: where the Assessments page writes storefront feeds."""
    return Path(_get("TRUST_PUBLISH_DIR") or DEFAULT_PUBLISH_DIR)


def serving_dir() -> Path:
    """$TRUST_SERVING_DIR, else serving/ beside the SQLite app database file, else data/serving."""
    given = _get("TRUST_SERVING_DIR")
    if given:
        return Path(given)
    app_db = app_db_url()
    if app_db.startswith("sqlite:///") and app_db != "sqlite:///:memory:":
        return Path(app_db.removeprefix("sqlite:///")).parent / "serving"
    return REPO / "data" / "serving"
