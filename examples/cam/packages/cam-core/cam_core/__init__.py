"""cam-core: what every CAM service shares.

Configuration loading, a small threaded HTTP service with ``/health``, ``/version`` and
``/config``, and the installed versions of a distribution and its dependencies.
"""

from cam_core.config import ConfigError, load_config
from cam_core.metadata import installed_versions, version_report
from cam_core.service import HTTPError, Service, run_service

__all__ = [
    "ConfigError",
    "HTTPError",
    "Service",
    "installed_versions",
    "load_config",
    "run_service",
    "version_report",
]
