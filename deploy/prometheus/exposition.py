"""Prints what /metrics of the services can show (every switchboard module imported, so
every metric the code registers is there, with or without samples yet), for `promtool
check metrics` to lint names, types and units (`make rules-check`)."""

import importlib
import pkgutil
import sys

from prometheus_client import REGISTRY, generate_latest

import switchboard

for module in pkgutil.walk_packages(switchboard.__path__, "switchboard."):
    if ".migrations" not in module.name and not module.name.endswith("__main__"):
        importlib.import_module(module.name)
sys.stdout.buffer.write(generate_latest(REGISTRY))
