"""Portal simulator: generated reports and CMS-like portals to test the crawler against, offline.

``with run_simulator(seed=1, scale=1, faults="default") as sim:`` serves four portals (TRS,
Hanweb, VSB, generic) on 127.0.0.1; ``sim.portals_yaml`` is their configuration and
``sim.truth`` the records the crawl must recover.
"""

from collector.sim.server import Faults, RequestLog, Simulator, run_simulator

__all__ = ["Faults", "RequestLog", "Simulator", "run_simulator"]
