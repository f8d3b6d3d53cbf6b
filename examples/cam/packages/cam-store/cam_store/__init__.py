"""cam-store: the CAM telemetry and key-value store.

An HTTP service holding sensor values and settings. ``cam_store.client`` (install
``cam-store[client]``) talks to it from other nodes.
"""
