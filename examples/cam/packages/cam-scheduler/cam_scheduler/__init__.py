"""cam-scheduler: the CAM observation schedule."""
