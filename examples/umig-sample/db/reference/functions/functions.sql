-- UMIG reference schema: PL/pgSQL functions and the triggers that use them.
\ir audit.sql
\ir retention.sql
