"""cam-monitor: polls the CAM proxies and publishes node health as sensors."""
