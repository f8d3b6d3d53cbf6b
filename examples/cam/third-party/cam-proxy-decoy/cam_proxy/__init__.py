"""Dependency-confusion decoy.

This "cam-proxy" lives in the PUBLIC index of the karoo example with a version higher than
any real cam-proxy. The real cam-proxy is a leaf in the private index; a resolver that lets an
extra index shadow a private name picks this one. Importing it fails loudly.
"""

raise ImportError("cam-proxy 99.0.0 from the public index is a dependency-confusion decoy; the real cam-proxy is in the private index")
