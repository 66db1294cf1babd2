"""IdeaMine for Airflow: a product idea in, a gated, auditable release out.

The package has three layers, imports pointing inward only:

* ``ideamine.core`` -- pure, typed logic (config models, canonical JSON, hash chains, scoring);
* ``ideamine.store``, ``ideamine.runtime`` -- I/O adapters (Postgres ledger, embedded services);
* ``ideamine.dag``, ``ideamine.plugin`` -- thin Airflow glue.

Errors are documented in ``ideamine.errors``.
"""

__version__ = "0.1.0"
