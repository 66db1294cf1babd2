"""The Airflow plugin entry point (``airflow.plugins`` group in pyproject.toml)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin


class IdeaMinePlugin(AirflowPlugin):
    name = "ideamine"
