-- One database per partner subgraph, so each partner's data stays separate (as it would on the
-- partner's own infrastructure) while the stack runs a single PostgreSQL server.
--
-- The postgres image runs this once, as POSTGRES_USER (wayfinder), and only when the data volume
-- is empty; the databases are owned by that user. Each partner subgraph creates its own tables by
-- running its migrations on start-up. To re-run it: `docker compose down --volumes` (deletes data).
CREATE DATABASE council;
CREATE DATABASE charity;
CREATE DATABASE health;
-- The directory's own state (feed cursors, its copies of services), not partner data.
CREATE DATABASE directory;
