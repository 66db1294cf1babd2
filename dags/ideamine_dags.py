"""Airflow DAG file: renders every IdeaMine DAG from config/ (see ideamine.dag.render)."""

from ideamine.dag.render import render_dags

globals().update(render_dags())
