"""The embedded runtime: a real PostgreSQL and Redis under one local folder."""
