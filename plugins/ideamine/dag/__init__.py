"""Airflow glue: the DAG renderer and thin operators that delegate to plain functions."""
