-- A PostgreSQL login for the dashboard that can read the five warehouse tables and nothing else.
--
-- Run it as the warehouse tables' owner, connected to the warehouse database:
--     psql "postgresql://OWNER@HOST/WAREHOUSE" -f docs/readonly_role.sql
-- then set a real password and point the dashboard at the new login:
--     ALTER ROLE trust_reader PASSWORD '...';
--     TRUST_WAREHOUSE_URL=postgresql+psycopg://trust_reader:...@HOST/WAREHOUSE
-- The dashboard also opens every session read-only (default_transaction_read_only) with a statement
-- timeout, but a session can switch those off itself; the grants below are what the server enforces.
-- PostgreSQL 15 and later no longer let every role create objects in the public schema.

CREATE ROLE trust_reader LOGIN PASSWORD 'change-me' NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
ALTER ROLE trust_reader SET default_transaction_read_only = on;
GRANT USAGE ON SCHEMA public TO trust_reader;
GRANT SELECT ON suppliers, buyers, orders, inquiries, claims TO trust_reader;
