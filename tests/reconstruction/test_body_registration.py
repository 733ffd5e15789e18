"""Registration by the body (pose landmarks, the face for close-ups) and the floor shadow as backdrop.

Poses and faces are built here as plain arrays (MediaPipe's layout), so these tests need no model.
"""

import numpy as np
import pytest
from PIL import Image, ImageDraw
from scipy import ndimage

from reconstruction.core.landmarks import facing_from_pose, register_by_body
from reconstruction.core.subject import FaceBox, PhotoSubject, drop_floor_shadow, find_subject
from reconstruction.core.types import PhotoInput
from reconstruction.core.views import prepare_view, register_prepared

from .drawing import draw_person, iou, person_photo, subject_truth


def figure_mask(size, top, height, cx, *, pole_to=None, extra_below=0):
    """A standing figure's mask: head, torso, legs; optionally a pole held up beside the head (to row
    ``pole_to``) and a blob ``extra_below`` pixels deep under the feet."""
    w, h = size
    img = Image.new("L", size, 0)
    d = ImageDraw.Draw(img)
    hh = height
    d.ellipse([cx - 0.07 * hh, top, cx + 0.07 * hh, top + 0.15 * hh], fill=1)
    d.rectangle([cx - 0.12 * hh, top + 0.14 * hh, cx + 0.12 * hh, top + 0.55 * hh], fill=1)
    d.rectangle([cx - 0.1 * hh, top + 0.55 * hh, cx + 0.1 * hh, top + hh - 1], fill=1)
    if pole_to is not None:
        d.rectangle([cx + 0.14 * hh, pole_to, cx + 0.17 * hh, top + 0.5 * hh], fill=1)
        d.rectangle([cx + 0.12 * hh, top + 0.45 * hh, cx + 0.17 * hh, top + 0.5 * hh], fill=1)
    if extra_below:
        d.ellipse([cx - 0.3 * hh, top + hh - 4, cx + 0.3 * hh, top + hh + extra_below], fill=1)
    return np.asarray(img, bool)


def pose_for(top, height, cx, *, hips_at=0.5):
    """MediaPipe-ordered (33, 4) landmarks of the figure drawn by figure_mask (x, y pixels, z, visibility)."""
    p = np.zeros((33, 4))
    p[:, 3] = 0.1  # everything else: not visible
    rows = {0: 0.09, 2: 0.07, 5: 0.07, 7: 0.08, 8: 0.08, 11: 0.18, 12: 0.18, 23: hips_at, 24: hips_at}
    rows |= {27: 0.95, 28: 0.95}
    for i, r in rows.items():
        p[i] = (cx, top + r * height, 0.0, 0.99)
    p[[2, 7, 11, 23, 27], 0] -= 0.03 * height  # left/right pairs spread a little
    p[[5, 8, 12, 24, 28], 0] += 0.03 * height
    return p


def view_of(mask, kind, *, pose=None, face=None):
    grey = np.where(mask, 120, 235).astype(np.uint8)
    rgb = np.stack([grey, grey, grey], axis=-1)
    seen = PhotoSubject(
        mask=mask,
        components=1,
        confidence=0.9,
        backend="mediapipe",
        method="selfie_segmentation",
        poses=(pose,) if pose is not None else (),
        faces=(face,) if face is not None else (),
    )
    return prepare_view(PhotoInput(rgb, kind), seen)


def test_a_pole_above_the_head_fools_the_box_but_not_the_body():
    front = view_of(figure_mask((300, 400), 50, 300, 150), "front", pose=pose_for(50, 300, 150))
    # the side photo: the figure 200 px tall (top at row 100), a pole held above the head to row 20
    side_mask = figure_mask((300, 400), 100, 200, 140, pole_to=20)
    side = view_of(side_mask, "side", pose=pose_for(100, 200, 140))
    assert side.px_per_unit == pytest.approx(280, abs=2)  # the box: pole top to the feet
    assert register_by_body(side, front, close_up=False) == "pose"
    assert side.px_per_unit == pytest.approx(200, rel=0.03)
    assert side.ground == pytest.approx(300, abs=3)


def test_a_floor_blob_under_the_feet_moves_the_ground_back_by_the_body():
    front = view_of(figure_mask((300, 400), 50, 300, 150), "front", pose=pose_for(50, 300, 150))
    back_mask = figure_mask((300, 400), 60, 260, 160, extra_below=30)
    back = view_of(back_mask, "back", pose=pose_for(60, 260, 160))
    assert back.ground > 60 + 260 + 20  # the box's ground line is the blob's bottom
    views, _ = register_prepared([front, back])
    assert back.registered_by == "pose"
    assert back.ground == pytest.approx(320, abs=4) and back.px_per_unit == pytest.approx(260, rel=0.03)


def test_when_the_body_agrees_the_silhouette_registration_is_kept():
    front = view_of(figure_mask((300, 400), 50, 300, 150), "front", pose=pose_for(50, 300, 150))
    side = view_of(figure_mask((300, 400), 100, 200, 140), "side", pose=pose_for(100, 200, 140))
    before = (side.px_per_unit, side.ground)
    assert register_by_body(side, front, close_up=False) == "silhouette+pose"
    assert (side.px_per_unit, side.ground) == before


def test_landmarks_that_disagree_leave_the_box_registration():
    front = view_of(figure_mask((300, 400), 50, 300, 150), "front", pose=pose_for(50, 300, 150))
    side_mask = figure_mask((300, 400), 100, 200, 140, pole_to=20)
    # a wrong detection: hips up at the chest
    side = view_of(side_mask, "side", pose=pose_for(100, 200, 140, hips_at=0.2))
    before = side.px_per_unit
    views, _ = register_prepared([front, side])
    assert side.registered_by == "silhouette" and side.px_per_unit == before


def test_no_pose_in_one_view_falls_back_to_the_box():
    front = view_of(figure_mask((300, 400), 50, 300, 150), "front", pose=pose_for(50, 300, 150))
    side = view_of(figure_mask((300, 400), 100, 200, 140, pole_to=20), "side")
    assert register_by_body(side, front, close_up=False) is None
    two = view_of(figure_mask((300, 400), 50, 300, 150), "front", pose=pose_for(50, 300, 150))
    people = PhotoSubject(mask=two.mask, components=2, confidence=0.9, poses=(two.poses[0], two.poses[0]))
    crowd = prepare_view(PhotoInput(np.zeros((400, 300, 3), np.uint8), "front"), people)
    assert register_by_body(crowd, front, close_up=False) is None  # whose landmarks would they be?


def test_a_close_up_registers_by_the_face_box():
    # main front: head and shoulders 300 px tall; the face box 60..140
    full = figure_mask((300, 400), 40, 300, 150)
    front = view_of(full, "front", face=FaceBox((120.0, 60.0, 180.0, 105.0), 0.95))
    # a close-up twice as large: the face box 40..130, top of the head at row 0, cut by the bottom edge
    zoom = ndimage.zoom(full[40:240], 2.0, order=0)[:400, :600]
    crop = np.zeros((400, 600), bool)
    crop[: zoom.shape[0], : zoom.shape[1]] = zoom
    close = view_of(crop, "front", face=FaceBox((240.0, 40.0, 360.0, 130.0), 0.95))
    assert close.cropped
    assert register_by_body(close, front, close_up=True) == "face"
    assert close.px_per_unit == pytest.approx(2 * 300, rel=0.04)
    # its top of the head maps to the front's
    assert close.ground - close.px_per_unit * 1.0 == pytest.approx(0, abs=8)


def test_profile_facing_from_the_pose_when_colours_cannot_tell():
    mask = figure_mask((300, 400), 100, 200, 140)
    pose = pose_for(100, 200, 140)
    pose[[7, 8], 0] = 150.0  # ears behind the nose (nose at x 140): the figure faces image left
    pose[0, 0] = 130.0
    side = view_of(mask, "side", pose=pose)
    assert facing_from_pose(side) == 1
    pose2 = pose.copy()
    pose2[0, 0] = 165.0
    assert facing_from_pose(view_of(mask, "side", pose=pose2)) == -1
    front = view_of(figure_mask((300, 400), 50, 300, 150), "front")
    views, _ = register_prepared([front, view_of(mask, "side", pose=pose2)])
    assert views[1].facing == -1 and views[1].facing_from == "pose"


def shadowed_photo():
    """A person on a grey gradient backdrop with a soft floor shadow under the feet, noise and dark shoes."""
    w, h = 240, 320
    rng = np.random.default_rng(3)
    ramp = np.linspace(150, 205, h)[:, None, None] * np.ones((1, w, 3))
    jj, ii = np.mgrid[0:h, 0:w]
    shadow = 1 - 0.35 * np.exp(-1.5 * (((ii - w / 2) / 70.0) ** 2 + ((jj - 0.9 * h - 3) / 10.0) ** 2))
    bg = Image.fromarray(np.clip(ramp * shadow[:, :, None], 0, 255).astype(np.uint8))
    d = ImageDraw.Draw(bg)
    draw_person(d, w / 2, 0.1 * h, 0.8 * h)
    d.rectangle([w / 2 - 0.08 * h, 0.87 * h, w / 2 + 0.08 * h, 0.9 * h - 1], fill=(25, 25, 25))  # shoes
    truth = subject_truth(np.asarray(person_photo((w, h))))
    photo = np.clip(np.asarray(bg, float) + rng.normal(0, 3, (h, w, 3)), 0, 255).astype(np.uint8)
    return photo, truth


def test_a_floor_shadow_is_backdrop_and_dark_shoes_stay():
    photo, truth = shadowed_photo()
    h = photo.shape[0]
    seen = find_subject(photo, subject="person", learned=False)
    assert seen.backend in ("classical", "mediapipe")
    rows = np.nonzero(seen.mask.any(axis=1))[0]
    assert rows[-1] + 1 <= 0.9 * h + 2  # the ground line is the feet, not the shadow's bottom
    assert iou(seen.mask, truth) > 0.9
    shoes = truth[int(0.87 * h) : int(0.9 * h)]
    assert seen.mask[int(0.87 * h) : int(0.9 * h)][shoes].mean() > 0.9


def test_shadow_removal_keeps_a_coloured_subject_at_the_ground():
    photo = person_photo()
    truth = subject_truth(photo)
    mask, removed = drop_floor_shadow(photo, truth)
    assert removed == 0 and (mask == truth).all()
