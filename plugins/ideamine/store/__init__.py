"""Our own Postgres: connections, migrations, the ledger, artifacts and signing keys."""
