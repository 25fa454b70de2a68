"""ezlock edge: sim layer."""
