"""cam-portal: the CAM status page: every service's health and version, and the sensors."""
