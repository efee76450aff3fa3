"""Warehouse schema, seeded demo data and the loader for a marketplace's own extract."""
