"""Pure logic: no Airflow, no I/O. Everything here is deterministic and fast to test."""
