FROM apache/airflow:3.3.2-python3.11

ENV IDEAMINE_CONFIG_DIR=/opt/airflow/ideamine/config \
    IDEAMINE_MIGRATIONS_DIR=/opt/airflow/ideamine/include/migrations \
    IDEAMINE_TEMPLATES_DIR=/opt/airflow/ideamine/include/templates

COPY --chown=airflow:root requirements.txt constraints.txt pyproject.toml README.md /opt/airflow/ideamine/
COPY --chown=airflow:root plugins /opt/airflow/ideamine/plugins
COPY --chown=airflow:root config /opt/airflow/ideamine/config
COPY --chown=airflow:root include /opt/airflow/ideamine/include
COPY --chown=airflow:root dags /opt/airflow/dags

USER airflow
# Airflow pinned in the same install so the resolver cannot move it.
RUN pip install --no-cache-dir "apache-airflow==3.3.2" -c /opt/airflow/ideamine/constraints.txt \
        /opt/airflow/ideamine
