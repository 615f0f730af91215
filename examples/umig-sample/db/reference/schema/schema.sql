-- UMIG reference schema: all tables in dependency order, then the views.
-- Included by ../install.sql; paths are relative to this file (\ir), so psql can run from any directory.
\ir tables/01-teams-users.sql
\ir tables/02-status.sql
\ir tables/03-migrations-iterations.sql
\ir tables/04-plans-steps-instructions.sql
\ir tables/05-audit-log.sql
\ir views.sql
