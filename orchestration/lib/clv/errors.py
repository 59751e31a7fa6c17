"""Typed errors, so callers can tell bad input from a fit that did not work out."""


class ClvError(ValueError):
    """Base class for everything this package raises on purpose."""


class ClvInputError(ClvError):
    """The transactions or the summary cannot support the requested fit or prediction.

    The message names the problem (a missing column, no repeat customers, one
    shared history, ...) so it can be shown to whoever owns the data.
    """


class ClvFitError(ClvError):
    """A fit ran but its result cannot be used for prediction (not converged, parameters at a bound)."""
