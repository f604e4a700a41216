"""Errors meant for the user: each says what was wrong and how to fix it.

The command line prints them as one paragraph without a traceback.
"""


class CollectiveError(Exception):
    """Base class of all errors caused by the user's input or environment."""


class DataError(CollectiveError):
    """The resume corpus is missing, unreadable, malformed, or could not be downloaded."""


class ConfigError(CollectiveError, ValueError):
    """An experiment configuration (or one of its values) is invalid."""


class CacheMissError(CollectiveError, LookupError):
    """A result was asked for that is not in the results cache (and training is disabled)."""


class NotFittedError(CollectiveError, AttributeError):
    """A firm was asked to predict before ``fit`` (scikit-learn's ``NotFittedError`` idea)."""
