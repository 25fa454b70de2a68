"""The test suites: edge driver, Home Assistant integration, end to end."""
