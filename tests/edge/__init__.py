"""Edge driver tests: simulated hardware through its byte streams, the real drivers."""
