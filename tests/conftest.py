"""Settings shared by every test suite."""

import os

from hypothesis import HealthCheck, settings

# Tests run on two busy cores: how fast examples are generated or run is not what any
# property test checks (benchmarks measure speed). CI explores a fixed set of examples so
# that a landing never depends on luck; developers' runs keep exploring new ones.
settings.register_profile(
    "ezlock",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("CI") == "true",
)
settings.load_profile("ezlock")
