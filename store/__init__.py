"""The app database: saved qualification policies and their audit trail (not the warehouse)."""
