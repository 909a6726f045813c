/*
 * chameleon--1.0--1.1.sql
 *	  Upgrade of the chameleon catalogue from 1.0 to 1.1 (ALTER EXTENSION
 *	  chameleon UPDATE).  Every change here is also in chameleon--1.1.sql;
 *	  t/012_upgrade.pl checks that both give the same catalogue.
 */

\echo Use "ALTER EXTENSION chameleon UPDATE" to load this file. \quit

-- monitoring (prometheus-postgres-exporter runs as a pg_monitor member)
GRANT SELECT ON chameleon.init_progress TO pg_monitor;
