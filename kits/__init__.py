"""Pure kits: geometry, print-file and photo code with no Django import.

* :mod:`kits.mesh` — safe mesh loading, sniffing, printability checks, repair, comparison, web previews
  and renders;
* :mod:`kits.printfiles` — print exports (STL, OBJ, PLY, GLB, 3MF, VRML, FBX), placement on the build
  plate, tray packing and tray pictures;
* :mod:`kits.photo` — photo intake, quality checks, guidance and subject segmentation.

The Django apps call them from services and tasks; the command line and the benches call them
directly. Nothing here imports Django or any app (checked by import-linter in CI).
"""
