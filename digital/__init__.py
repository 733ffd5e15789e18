"""The approved figurine as digital files for the customer (GLB, game GLB, OBJ, FBX, STL, USDZ).

Sits beside ``printing`` and ``reconstruction`` in the layers: it reads the approved revision (``revisions``)
and the item (``orders``); it hooks the item's ``approved`` state through ``orders``' follow-up registry
(``digital/hooks.py``), so no lower app names it.
"""
