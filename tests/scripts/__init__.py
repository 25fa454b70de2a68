"""Tests of the developer scripts (scripts/setup) against a stand-in system."""
