"""What the revision rounds accept into storage. The streaming itself (hashing on the way in, re-hashing,
local copies) is the kernel's, in :mod:`studio.storage`."""

from __future__ import annotations

#: The mesh formats a sculptor may upload as a round.
ALLOWED_EXTENSIONS = (".glb", ".obj", ".stl", ".ply", ".3mf")
