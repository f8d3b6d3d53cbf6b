"""cam-proxy: the CAM control API.

An HTTP API in front of the store: clients read and write sensors through any proxy node,
and the proxy talks to the store on its own node over the network. ``cam_proxy.client``
is the client the monitor and the portal use.
"""
