-- UMIG reference installation script (plain PostgreSQL, no Liquibase bookkeeping).
--
-- The Liquibase changelog in db/changelog is the source of truth for deployments; this script builds the
-- same schema for a throwaway database (local experiments, reporting replicas, support reproductions).
--
--   psql -1 -v ON_ERROR_STOP=1 -d umig_scratch -f db/reference/install.sql
--
-- Every \ir path is relative to the file that contains it, so the script can be run from any directory.
\ir schema/schema.sql
\ir functions/functions.sql
\ir data/reference-data.sql
