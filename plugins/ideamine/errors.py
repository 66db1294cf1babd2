"""Every error IdeaMine raises on purpose.

    IdeaMineError
    ├── ConfigError            a phase or pipeline YAML file is invalid (file, line, field)
    │   └── ConfigErrors       several ConfigErrors found in one lint pass
    ├── TriggerError           a run's conf was rejected before any agent ran
    ├── ServiceError           the embedded Postgres/Redis could not be started, stopped or found
    ├── StoreError             our own Postgres store failed or refused a request
    │   ├── MigrationError     a migration failed, or an applied migration file was edited
    │   └── LedgerError        a ledger append or query was invalid
    ├── SigningError           no usable signing key, or a signature could not be made
    ├── ArtifactError          an artifact body does not match its type's schema (type, field)
    ├── AgentError             an agent could not produce its sections (phase, agent, why)
    ├── ToolError              a sandboxed tool could not be started or misbehaved
    │   └── ToolNotAvailable   the tool is not installed or cannot run here (guards say "not run")
    ├── GateError              a gate ran out of attempts; the message lists the reasons
    ├── BudgetError            a phase or run budget is exhausted
    └── DossierError           the release dossier cannot be built or does not verify

Catch ``IdeaMineError`` to handle all of them. Anything else escaping the package is a bug.
"""

from __future__ import annotations

from collections.abc import Sequence


class IdeaMineError(Exception):
    """Base class of every error IdeaMine raises on purpose."""


class ConfigError(IdeaMineError):
    """An invalid configuration file, located down to the field."""

    def __init__(self, message: str, *, file: str, line: int | None = None, field: str | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        self.field = field
        super().__init__(self.location() + ": " + message)

    def location(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
        if self.field:
            where += f": {self.field}"
        return where


class ConfigErrors(ConfigError):
    """Several configuration errors, reported together so one lint pass shows them all."""

    def __init__(self, errors: Sequence[ConfigError]) -> None:
        if not errors:
            raise ValueError("ConfigErrors needs at least one error")
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(first.message, file=first.file, line=first.line, field=first.field)
        self.args = ("\n".join(str(e) for e in self.errors),)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)


class TriggerError(IdeaMineError):
    """A run was triggered with a conf that cannot be used (missing idea, unknown key, ...)."""


class ServiceError(IdeaMineError):
    """The embedded Postgres or Redis could not be started, stopped or reached."""


class StoreError(IdeaMineError):
    """Our own Postgres store failed or refused a request."""


class MigrationError(StoreError):
    """A migration failed, or a migration that was already applied has been edited since."""


class LedgerError(StoreError):
    """A ledger append or query was invalid."""


class SigningError(IdeaMineError):
    """No usable signing key, or a signature could not be made."""


class ArtifactError(IdeaMineError):
    """An artifact body does not match its type's schema; the message names type and field."""


class AgentError(IdeaMineError):
    """An agent could not produce its sections."""


class ToolError(IdeaMineError):
    """A sandboxed tool could not be started or misbehaved."""


class ToolNotAvailable(ToolError):
    """The tool is not installed or cannot run here; guards built on it report "not run"."""


class GateError(IdeaMineError):
    """A phase gate ran out of attempts without a waiver; the message lists the reasons."""


class BudgetError(IdeaMineError):
    """A phase or run budget is exhausted."""


class DossierError(IdeaMineError):
    """The release dossier cannot be built, or it does not verify."""
