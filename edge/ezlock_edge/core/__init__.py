"""ezlock edge: core layer."""
