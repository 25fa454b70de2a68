"""HTTP/1.1 and WebSocket over asyncio, parsed by h11 and wsproto (sans-I/O libraries).

The network transport of the API (and of the simulator's control surface): ``connection``
serves one TCP/TLS connection (requests in order, keep-alive, body limits, upgrades),
``websocket`` one upgraded connection, ``writer`` the flow control both share,
``request`` and ``messages`` what a handler sees and returns, ``routing`` maps paths to
handlers, ``server`` listens and shuts down cleanly, ``client`` is the command line's
small JSON client. Parsing is the libraries'; this package only moves bytes and keeps
the limits, so a running lock needs no HTTP framework (docs/performance.md).
"""
