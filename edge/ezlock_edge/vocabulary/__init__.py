"""The vocabulary every layer of the edge driver shares, at the bottom of the import graph.

Link state, device errors and the controller's words are used from the transport up to
the API, so they import nothing else from ``ezlock_edge`` (docs/architecture.md).
"""
