"""Errors of the simulator's control surface."""

from __future__ import annotations


class SimulationError(Exception):
    """A control action that is malformed, or that the physical lock cannot do now."""


class UnknownActionError(SimulationError):
    """No control action has that name."""
