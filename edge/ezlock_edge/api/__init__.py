"""The edge driver's local API: paired clients, pinned HTTPS, REST and one WebSocket.

``server`` serves ``routes`` (REST handlers) and ``ws``
(the event stream), guarded by ``auth`` (tokens, slow-down) and ``errors`` (one JSON
error shape); ``schemas`` and ``validation`` check input, ``tls`` holds the pinned
identity, ``discovery`` advertises it, ``openapi`` documents it (docs/api.md).
"""
