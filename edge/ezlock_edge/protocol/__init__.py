"""ezlock edge: protocol layer."""
