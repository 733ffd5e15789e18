"""Issue codes, their severities (DESIGN.md section 5) and the "where" of an issue."""

from __future__ import annotations

from typing import Any

import numpy as np

ERROR_CODES = frozenset(
    {
        "unreadable",
        "empty",
        "invalid_coordinates",
        "not_watertight",
        "inconsistent_winding",
        "non_manifold",
        "self_intersections",
        "floating_parts",
        "fragile_parts",
        "exceeds_build_volume",
    }
)
WARNING_CODES = frozenset(
    {"degenerate_faces", "multiple_shells", "thin_walls", "tips_over", "too_many_triangles"}
)
ALL_CODES = ERROR_CODES | WARNING_CODES


def severity(code: str) -> str:
    """'error' or 'warning' for an issue code."""
    if code in ERROR_CODES:
        return "error"
    if code in WARNING_CODES:
        return "warning"
    raise ValueError(f"unknown issue code {code!r}")


def is_printable(issues: list[dict[str, Any]]) -> bool:
    """THE printability verdict: printable unless an issue is an error (DESIGN.md section 5).

    Every command and task that says "printable" (``check_mesh``, ``export_print``, ``reconstruct``, the
    revision checks) takes it from a :func:`kits.mesh.checks.check_mesh` report, which decides with this."""
    return not any((issue.get("severity") or severity(issue["code"])) == "error" for issue in issues)


def where(points: np.ndarray, samples: int = 5) -> dict[str, Any]:
    """Bounding box and a few well-spread sample points (mm) of the places an issue concerns."""
    points = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    points = points[np.isfinite(points).all(axis=1)]
    if not len(points):
        return {}
    pool = points
    if len(pool) > 4096:
        pool = pool[np.random.default_rng(0).choice(len(pool), 4096, replace=False)]
    # farthest-point sampling: spread the sample points over the whole region
    chosen = [0]
    dist = np.linalg.norm(pool - pool[0], axis=1)
    while len(chosen) < min(samples, len(pool)):
        nxt = int(dist.argmax())
        if dist[nxt] <= 1e-9:
            break
        chosen.append(nxt)
        dist = np.minimum(dist, np.linalg.norm(pool - pool[nxt], axis=1))
    return {
        "bbox_mm": [points.min(axis=0).round(3).tolist(), points.max(axis=0).round(3).tolist()],
        "sample_points_mm": pool[chosen].round(3).tolist(),
    }


def make_issue(code: str, message: str, points: np.ndarray | None = None, **extra: Any) -> dict[str, Any]:
    """An issue dict: code, severity, message, then counts/extra fields and bbox_mm/sample_points_mm."""
    issue: dict[str, Any] = {"code": code, "severity": severity(code), "message": message}
    issue.update(extra)
    if points is not None:
        issue.update(where(points))
    return issue
