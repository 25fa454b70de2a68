"""ezlock edge driver: the lock's brain, wired by UART to its controller and modules."""

__version__ = "0.1.0"
