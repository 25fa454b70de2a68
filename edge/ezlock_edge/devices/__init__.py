"""ezlock edge: devices layer."""
