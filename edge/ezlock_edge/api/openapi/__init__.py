"""The OpenAPI 3.1 description served at ``/api/v1/openapi.json``.

Written by hand, as the contract, rather than derived from the handlers; tests check that
it names exactly the routes the server has and exactly the fields each schema accepts.

The document is built from ``components`` (the component schemas), ``paths`` (the
operations) and ``builder`` (roles, versions, the whole document); ``json_schema`` and
``fields`` are what the first two are written with.
"""

from __future__ import annotations

from ezlock_edge.api.version import API_VERSION

from .builder import document
from .components import SCHEMAS
from .paths import PATHS

__all__ = ["API_VERSION", "PATHS", "SCHEMAS", "document"]
