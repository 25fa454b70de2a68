"""The API's version: what /info, auth_ok and zeroconf announce (docs/api.md).

Its own module so that serving the API does not load the OpenAPI document's builder
(``openapi/``), which only ``GET /openapi.json`` needs.
"""

API_VERSION = 1
