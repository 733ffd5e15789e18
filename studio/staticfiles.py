"""The static files storage of production: WhiteNoise's compressed manifest storage, tolerant of
source maps that are not shipped.

``collectstatic`` rewrites every reference inside CSS and JS to the hashed name of the file it names,
and fails when that file is missing. Minified vendor files (the vendored ``<model-viewer>``) end with a
``sourceMappingURL`` comment for a ``.map`` that is not vendored; such a comment is left as it is
(a browser's developer tools ask for the map only when opened, and get a 404). Every other reference
(CSS ``url()``, JS imports) must still resolve.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage


class StudioStaticFilesStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files (see the module docstring for source maps)."""

    def url_converter(self, name, hashed_files, template=None):
        convert = super().url_converter(name, hashed_files, template)

        def converter(matchobj):
            if "sourceMappingURL" in matchobj["matched"] and not self._referenced_exists(
                name, matchobj["url"]
            ):
                return matchobj["matched"]
            return convert(matchobj)

        return converter

    def _referenced_exists(self, name: str, url: str) -> bool:
        from posixpath import dirname, join, normpath

        target = url.strip().split("?", 1)[0].split("#", 1)[0]
        if not target or "://" in target or target.startswith(("/", "data:")):
            return True  # not a file beside this one: the normal rules apply
        return self.exists(normpath(join(dirname(name), target)))
