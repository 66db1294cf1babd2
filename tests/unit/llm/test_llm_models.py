"""Model resolution: connections in URI and JSON form, YAML overrides, fallbacks, the remote-host switch."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import ideamine.llm
import pytest
from ideamine.config_files import load_project
from ideamine.core.config import LlmConfig, ProjectConfig
from ideamine.errors import AgentError
from ideamine.llm import models
from ideamine.llm.models import (
    ModelChoice,
    ModelSpec,
    build_model,
    check_hosts,
    choice_from,
    is_loopback,
    parse_connection,
    parse_model,
    read_connection,
    resolve,
)

CONFIG_DIR = Path(__file__).resolve().parents[3] / "config"
ENV = "AIRFLOW_CONN_IDEAMINE_LLM"


@pytest.fixture(scope="module")
def project() -> ProjectConfig:
    return load_project(CONFIG_DIR)


def with_llm(
    project: ProjectConfig, *, pipeline: LlmConfig | None = None, agent_llm: LlmConfig | None = None
) -> ProjectConfig:
    """The project with a pipeline-level llm block and/or one on intake's IntakeAgent."""
    updated = project
    if pipeline is not None:
        updated = updated.model_copy(
            update={"pipeline": updated.pipeline.model_copy(update={"llm": pipeline})}
        )
    if agent_llm is not None:
        phases = []
        for phase in updated.phases:
            if phase.id == "intake":
                agents = [
                    a.model_copy(update={"llm": agent_llm}) if a.name == "IntakeAgent" else a
                    for a in phase.agents
                ]
                phase = phase.model_copy(update={"agents": agents})
            phases.append(phase)
        updated = updated.model_copy(update={"phases": phases})
    return updated


def set_conn(monkeypatch: pytest.MonkeyPatch, value: dict[str, Any] | str, name: str = ENV) -> None:
    monkeypatch.setenv(name, value if isinstance(value, str) else json.dumps(value))


# --- connections ------------------------------------------------------------------------------------


def test_json_connection_reads_key_host_and_extra() -> None:
    conn = parse_connection(
        "ideamine_llm",
        json.dumps(
            {
                "conn_type": "pydanticai",
                "host": "http://127.0.0.1:8000/v1/",
                "password": "sk-secret",
                "extra": json.dumps({"model": "openai:gpt-4o"}),
            }
        ),
    )
    assert conn.conn_type == "pydanticai"
    assert conn.base_url() == "http://127.0.0.1:8000/v1"
    assert conn.api_key == "sk-secret"
    assert conn.extra == {"model": "openai:gpt-4o"}
    assert "sk-secret" not in repr(conn)


def test_uri_connection_with_port_schema_and_extra() -> None:
    extra = json.dumps({"model": "ollama:llama3.1:8b", "fallback_models": ["ollama:qwen2.5"]})
    uri = "pydanticai://:sk%2Fkey@localhost:11434/v1?__extra__=" + extra.replace(" ", "%20")
    conn = parse_connection("ideamine_llm", uri)
    assert conn.api_key == "sk/key"
    assert conn.base_url() == "http://localhost:11434/v1"
    assert conn.extra["model"] == "ollama:llama3.1:8b"
    assert conn.extra["fallback_models"] == ["ollama:qwen2.5"]


def test_uri_connection_with_a_whole_encoded_base_url_and_query_extras() -> None:
    uri = "pydanticai://:k@http%3A%2F%2FMyHost.local%3A9000%2FV1?model=openai%3Agpt-4o-mini"
    conn = parse_connection("ideamine_llm", uri)
    assert conn.base_url() == "http://MyHost.local:9000/V1"  # case kept: the path may be case-sensitive
    assert conn.extra == {"model": "openai:gpt-4o-mini"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("{not json", "neither a URI nor valid JSON"),
        ("just-text", "neither a URI nor valid JSON"),
        ('{"conn_type": "pydanticai", "extra": "[1, 2]"}', "must be a JSON object"),
        ('{"conn_type": "pydanticai", "port": "http"}', "is not a number"),
    ],
)
def test_broken_connections_are_agent_errors(raw: str, message: str) -> None:
    with pytest.raises(AgentError, match=message):
        parse_connection("ideamine_llm", raw)


def test_no_connection_anywhere_means_offline(
    monkeypatch: pytest.MonkeyPatch, project: ProjectConfig
) -> None:
    monkeypatch.delenv(ENV, raising=False)
    assert read_connection("ideamine_llm", use_airflow=False) is None
    assert resolve(project, "intake", "IntakeAgent", use_airflow=False) is None


def test_airflow_is_asked_when_the_environment_has_no_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow.sdk import Connection

    monkeypatch.delenv("AIRFLOW_CONN_FROM_AIRFLOW", raising=False)
    asked: list[str] = []

    def fake_get(conn_id: str) -> Any:
        asked.append(conn_id)
        if conn_id != "from_airflow":
            raise RuntimeError("not defined")
        return SimpleNamespace(
            conn_type="pydanticai",
            host="http://127.0.0.1:7000/v1",
            password="sk-af",
            extra='{"model": "openai:gpt-4o"}',
            port=None,
            schema=None,
        )

    monkeypatch.setattr(Connection, "get", staticmethod(fake_get))
    conn = read_connection("from_airflow")
    assert conn is not None
    assert (conn.base_url(), conn.api_key, conn.extra) == (
        "http://127.0.0.1:7000/v1",
        "sk-af",
        {"model": "openai:gpt-4o"},
    )
    assert read_connection("missing_one") is None  # Airflow's "not defined" is "not configured"
    assert asked == ["from_airflow", "missing_one"]


# --- model names and resolution ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("openai:gpt-4o", ("openai", "gpt-4o")),
        ("anthropic:claude-sonnet-4-5", ("anthropic", "claude-sonnet-4-5")),
        ("ollama:llama3.1:8b", ("ollama", "llama3.1:8b")),
        ("gpt-4o-mini", ("openai", "gpt-4o-mini")),
        ("llama3.1:8b", ("openai", "llama3.1:8b")),  # a tag, not a provider: OpenAI-compatible name
    ],
)
def test_model_names(text: str, expected: tuple[str, str]) -> None:
    assert parse_model(text, where="test") == expected


@pytest.mark.parametrize("text", ["antropic:claude-3", "groq:llama", "openai:", ""])
def test_unknown_provider_prefixes_and_empty_names_are_refused(text: str) -> None:
    with pytest.raises(AgentError):
        parse_model(text, where="test")


def test_resolve_reads_the_connection_named_by_the_yaml(
    monkeypatch: pytest.MonkeyPatch, project: ProjectConfig
) -> None:
    set_conn(
        monkeypatch,
        {
            "conn_type": "pydanticai",
            "host": "http://127.0.0.1:9/v1",
            "password": "k",
            "extra": {"model": "openai:gpt-4o"},
        },
    )
    choice = resolve(project, "intake", "IntakeAgent", use_airflow=False)
    assert choice == ModelChoice("ideamine_llm", ModelSpec("openai", "gpt-4o", "http://127.0.0.1:9/v1", "k"))
    assert choice.model == "openai:gpt-4o"

    other = with_llm(project, agent_llm=LlmConfig(conn_id="special_llm"))
    monkeypatch.setenv(
        "AIRFLOW_CONN_SPECIAL_LLM", '{"conn_type": "pydanticai", "extra": {"model": "openai:o3"}}'
    )
    special = resolve(other, "intake", "IntakeAgent", use_airflow=False)
    assert special is not None
    assert (special.conn_id, special.model) == ("special_llm", "openai:o3")
    # The other agents of the phase keep the pipeline's connection.
    default = resolve(other, "intake", "ConstraintsAgent", use_airflow=False)
    assert default is not None
    assert default.conn_id == "ideamine_llm"


def test_yaml_model_and_fallbacks_override_the_extra(
    monkeypatch: pytest.MonkeyPatch, project: ProjectConfig
) -> None:
    set_conn(
        monkeypatch,
        {
            "conn_type": "pydanticai",
            "host": "http://127.0.0.1:9/v1",
            "password": "k",
            "extra": {"model": "openai:gpt-4o", "fallback_models": ["openai:gpt-4.1"]},
        },
    )
    from_extra = resolve(project, "intake", "IntakeAgent", use_airflow=False)
    assert from_extra is not None
    assert [m.id for m in from_extra.fallbacks] == ["openai:gpt-4.1"]

    overridden = with_llm(
        project,
        agent_llm=LlmConfig(
            model="openai:gpt-4o-mini", fallback_models=["openai:gpt-4o", "gpt-4.1-nano", "gpt-4.1-nano"]
        ),
    )
    choice = resolve(overridden, "intake", "IntakeAgent", use_airflow=False)
    assert choice is not None
    assert choice.model == "openai:gpt-4o-mini"
    # YAML order kept, duplicates dropped; same provider: same host and key.
    assert [m.id for m in choice.fallbacks] == ["openai:gpt-4o", "openai:gpt-4.1-nano"]
    assert {(m.base_url, m.api_key) for m in choice.candidates} == {("http://127.0.0.1:9/v1", "k")}


def test_a_fallback_of_another_provider_does_not_get_this_connections_key() -> None:
    conn = parse_connection(
        "ideamine_llm",
        '{"conn_type": "pydanticai", "host": "http://127.0.0.1:9/v1", "password": "sk-openai"}',
    )
    choice = choice_from(conn, model="openai:gpt-4o", fallback_models=["anthropic:claude-haiku-4-5"])
    (fallback,) = choice.fallbacks
    assert (fallback.provider, fallback.base_url, fallback.api_key) == ("anthropic", None, None)
    assert fallback.endpoint() == "https://api.anthropic.com"


def test_a_connection_of_another_type_is_refused() -> None:
    conn = parse_connection("ideamine_llm", "postgresql://user:pw@localhost:5432/db")
    with pytest.raises(AgentError, match="has type 'postgresql'; an LLM connection has type 'pydanticai'"):
        choice_from(conn, model="openai:gpt-4o")


def test_a_connection_without_a_model_says_how_to_set_one(
    monkeypatch: pytest.MonkeyPatch, project: ProjectConfig
) -> None:
    set_conn(monkeypatch, {"conn_type": "pydanticai", "password": "k"})
    with pytest.raises(AgentError, match=r"ideamine_llm.*names no model.*extra"):
        resolve(project, "intake", "IntakeAgent", use_airflow=False)


# --- remote hosts and model objects -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "loopback"),
    [
        ("http://127.0.0.1:8000/v1", True),
        ("http://127.5.6.7/v1", True),
        ("http://localhost:11434/v1", True),
        ("http://[::1]:8000/v1", True),
        ("https://api.openai.com/v1", False),
        ("http://10.0.0.5/v1", False),
        ("http://localhost.example.com/v1", False),
    ],
)
def test_loopback_hosts(url: str, loopback: bool) -> None:
    assert is_loopback(url) is loopback


def test_the_remote_switch_blocks_every_non_loopback_candidate(monkeypatch: pytest.MonkeyPatch) -> None:
    local = ModelSpec("openai", "gpt-4o", "http://127.0.0.1:9/v1", "k")
    remote_fallback = ModelChoice("ideamine_llm", local, (ModelSpec("openai", "gpt-4o-mini", None, "k"),))
    monkeypatch.setattr(ideamine.llm, "ALLOW_REMOTE_HOSTS", False)
    check_hosts(ModelChoice("ideamine_llm", local))
    with pytest.raises(AgentError, match=r"api\.openai\.com.*IDEAMINE_ALLOW_REMOTE_MODELS=0"):
        check_hosts(remote_fallback)
    monkeypatch.setattr(ideamine.llm, "ALLOW_REMOTE_HOSTS", True)
    check_hosts(remote_fallback)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("", True), ("1", True), ("0", False), ("false", False), ("No", False)],
)
def test_remote_switch_environment_values(
    monkeypatch: pytest.MonkeyPatch, value: str | None, expected: bool
) -> None:
    if value is None:
        monkeypatch.delenv(ideamine.llm.ALLOW_REMOTE_MODELS_ENV, raising=False)
    else:
        monkeypatch.setenv(ideamine.llm.ALLOW_REMOTE_MODELS_ENV, value)
    assert ideamine.llm._env_flag(ideamine.llm.ALLOW_REMOTE_MODELS_ENV, True) is expected


def test_openai_models_are_built_without_sdk_retries() -> None:
    model, _ = build_model(ModelSpec("openai", "gpt-4o", "http://127.0.0.1:9/v1", None), timeout_s=3)
    client = model.client  # type: ignore[attr-defined]
    assert model.model_name == "gpt-4o"
    assert client.max_retries == 0
    assert str(client.base_url).rstrip("/") == "http://127.0.0.1:9/v1"


def test_openai_without_a_key_or_host_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(AgentError, match="no API key"):
        build_model(ModelSpec("openai", "gpt-4o", None, None), timeout_s=3)


def test_anthropic_without_its_package_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib.util

    if importlib.util.find_spec("anthropic") is not None:
        pytest.skip("the anthropic package is installed here")
    with pytest.raises(AgentError, match=r"anthropic:claude-haiku-4-5 needs the 'anthropic' package"):
        build_model(ModelSpec("anthropic", "claude-haiku-4-5", None, "k"), timeout_s=3)


def test_unsupported_providers_are_refused() -> None:
    with pytest.raises(AgentError, match="unsupported provider"):
        build_model(ModelSpec("bedrock", "x", None, "k"), timeout_s=3)


def test_default_endpoints() -> None:
    assert ModelSpec("openai", "m", None).endpoint() == models.OPENAI_BASE_URL
    assert ModelSpec("ollama", "m", None).endpoint() == models.OLLAMA_BASE_URL
    assert ModelSpec("ollama", "m", "http://gpu-box:11434/v1").endpoint() == "http://gpu-box:11434/v1"
