"""Test-wide settings. Real model hosts are unreachable from the suite by design."""

from __future__ import annotations

import os
import tempfile

# Signing keys and data of the tests never come from, or go to, a developer's own setup.
os.environ["IDEAMINE_SIGNING_KEY_SOURCE"] = "local"
for name in list(os.environ):
    if name.startswith(("AIRFLOW_CONN_IDEAMINE", "AIRFLOW_VAR_IDEAMINE")):
        del os.environ[name]

# Airflow reads its settings at import: give the suite its own home, never the developer's.
os.environ["AIRFLOW_HOME"] = tempfile.mkdtemp(prefix="ideamine-airflow-home-")
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ.pop("AIRFLOW__DATABASE__SQL_ALCHEMY_CONN", None)
