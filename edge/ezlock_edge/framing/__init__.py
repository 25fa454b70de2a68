"""ezlock edge: framing layer."""
