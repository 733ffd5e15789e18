"""The glue on top of the apps: URLs, the scheduled sweeper, the demo, and the customer's order page.

It is the only package that may import every app (orders, revisions, reconstruction, printing); no
app imports it. Settings stay in ``studio.settings`` (they name apps as strings, import none).
"""
