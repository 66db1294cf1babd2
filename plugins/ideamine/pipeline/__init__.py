"""The phase pipeline's steps, free of Airflow: plan, agents, fan-in, Q/A/V, guards, gate, dossier.

Airflow tasks (``ideamine.dag``) call these functions; tests and benchmarks may call them directly.
"""
