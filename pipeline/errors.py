"""The error hierarchy of the pipeline.

Every error a user can meet is a :class:`PipelineError` with a message that says what failed,
where (file, row, column, skolenhet, läsår), what was found, what was expected and how to fix
it. The CLI maps them to exit codes: 2 for bad input or configuration, 1 for a failed job.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

EXIT_OK = 0
EXIT_FAILED_JOB = 1
EXIT_BAD_INPUT = 2


class PipelineError(Exception):
    """Base class of every error the pipeline raises on purpose."""

    exit_code = EXIT_BAD_INPUT


class ConfigError(PipelineError):
    """A file in ``params/`` (or a CLI option) is missing, malformed or inconsistent."""


class DataValidationError(PipelineError):
    """An input file does not match what its reader expects.

    Parameters
    ----------
    message
        The full human message (file, row, column, value, expectation, fix).
    failures
        Optional list of dicts (``file``, ``row``, ``column``, ``value``, ``expected``) with every
        failure found, for the validation report.
    """

    def __init__(self, message: str, failures: list[dict] | None = None) -> None:
        super().__init__(message)
        self.failures = list(failures or [])


class UnknownSourceError(DataValidationError):
    """A file under the raw data folder was not recognised as any known source."""


class UnknownSchoolFormError(PipelineError):
    """A school form code that is not in the registry."""


class UnknownIndicatorError(PipelineError):
    """An indicator id that is not in the indicator registry."""


class NotebookParameterError(PipelineError):
    """Parameters passed to a notebook do not match its ``parameters`` cell."""


class NotebookRunError(PipelineError):
    """One or more notebook jobs failed while executing."""

    exit_code = EXIT_FAILED_JOB

    def __init__(self, message: str, failures: Sequence[Any] | None = None) -> None:
        super().__init__(message)
        #: the failed jobs' results (:class:`pipeline.execution.JobResult`)
        self.failures = list(failures or [])


class PrivacyLeakError(PipelineError):
    """The leak scanner found pupil-level information in a file about to be published."""

    exit_code = EXIT_FAILED_JOB


class AnalysisFileError(ConfigError):
    """A written analysis in ``params/analyser/<YEAR>/`` is malformed."""
