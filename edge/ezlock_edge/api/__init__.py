"""ezlock edge: api layer."""
