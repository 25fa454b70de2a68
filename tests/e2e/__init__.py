"""End-to-end tests: Chromium, the edge driver, the demo and Home Assistant."""
