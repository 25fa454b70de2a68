"""Simulated parts for the controller firmware: pins, ADC, I2C chips, UARTs, radio.

Portable like the firmware: the edge driver's simulator imports it under CPython, and
``bridge.py`` runs it under MicroPython's Unix port. The parts hold what the physics
set (a closed switch, a voltage, a touched electrode) and report what the firmware
drove (motor inputs, LEDs, sounds), so the firmware's own drivers run unchanged.
"""
