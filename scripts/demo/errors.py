"""The demo's error: a step that did not go as a person would expect."""

from __future__ import annotations


class DemoError(Exception):
    """A demo step did not go as a person would expect."""
