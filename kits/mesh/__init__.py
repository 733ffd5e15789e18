"""Mesh toolkit of the studio: safe loading, printability checks, repair, exports.

Plain Python over numpy/trimesh/pymeshlab; no Django import anywhere in this package.
"""

from kits.mesh.io import LoadedMesh, MeshLoadError, load_mesh

__all__ = ["LoadedMesh", "MeshLoadError", "load_mesh"]
