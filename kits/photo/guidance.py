"""Words the customer reads: photo guidance per kind, and per-issue messages and retake advice.

Kept apart from the measurements so the portal, e-mails and the command line say the same thing.
"""

from __future__ import annotations

__all__ = ["KIND_LABELS", "PHOTO_GUIDANCE", "PHOTO_KINDS", "issue_text"]

#: Photo kinds, in the order the portal asks for them.
PHOTO_KINDS: tuple[str, ...] = ("front", "side", "back", "full_body")

KIND_LABELS: dict[str, str] = {
    "front": "Front photo",
    "side": "Side profile",
    "back": "Back photo",
    "full_body": "Full-body photo",
}

#: What the portal shows next to each upload slot.
PHOTO_GUIDANCE: dict[str, dict[str, object]] = {
    "front": {
        "title": "Front photo (required)",
        "summary": "The person faces the camera, looking straight into the lens.",
        "tips": [
            "Face the camera with the shoulders square; a relaxed, natural expression.",
            "Frame from the top of the head down to at least the chest, with a little space above the head.",
            "One person only, in front of a plain wall or sheet, away from busy furniture and shelves.",
            "Soft, even light from the front, such as facing a window; no flash, no strong shadows.",
            "Hold the phone steady at eye level and tap the face to focus.",
        ],
    },
    "side": {
        "title": "Side profile (recommended)",
        "summary": "The person turned 90 degrees, so we see the nose, ear and the back of the head in outline.",
        "tips": [
            "Turn the person (not the camera) a quarter turn; the camera stays at eye level.",
            "Keep the whole head and the hair in the frame, with space above and behind the head.",
            "Plain background and even light, as for the front photo.",
        ],
    },
    "back": {
        "title": "Back photo (optional)",
        "summary": "The person seen from behind: the hairstyle, the back of the clothes, bags or straps.",
        "tips": [
            "Stand behind the person at the same distance as for the front photo.",
            "Keep the whole hairstyle and the shoulders in the frame.",
            "Plain background and even light.",
        ],
    },
    "full_body": {
        "title": "Full-body photo (for full-figure products)",
        "summary": "The whole person from head to feet, standing in the pose you want for the figurine.",
        "tips": [
            "Step back (or zoom out) until the whole person fits with a little space above the head and below the feet.",
            "Hold the phone at waist height so legs and feet are not foreshortened.",
            "Shoes and feet fully visible: they become the figurine's stand.",
            "One person only, in front of a plain wall, with even light.",
        ],
    },
}

_KIND_WORDS = {
    "front": "front photo",
    "side": "side profile",
    "back": "back photo",
    "full_body": "full-body photo",
}

_SIDE_WORDS = {"top": "top", "bottom": "bottom", "left": "left side", "right": "right side"}


def _cropped_text(kind: str, edges: list[str]) -> tuple[str, str]:
    parts = [_SIDE_WORDS.get(e, e) for e in edges]
    where = " and ".join(parts) if len(parts) <= 2 else ", ".join(parts[:-1]) + " and " + parts[-1]
    if kind == "full_body" and "bottom" in edges and "top" in edges:
        message = "The person is cut off at both the head and the feet."
    elif kind == "full_body" and "bottom" in edges:
        message = "The person's feet (or legs) are cut off at the bottom of the photo."
    elif "top" in edges:
        message = "The top of the head is cut off by the edge of the photo."
    else:
        message = f"Part of the person is cut off at the {where} of the photo."
    if kind == "full_body":
        advice = (
            "Step back or zoom out until the whole person fits, from the top of the hair to the shoes, "
            "with a little space all around."
        )
    elif "top" in edges:
        advice = "Tilt the phone up or step back a little so there is some space above the hair."
    else:
        advice = (
            "Step back a little and centre the person, so the head, shoulders and arms are fully inside the frame. "
            "Cutting at the chest or waist is fine."
        )
    return message, advice


def issue_text(code: str, kind: str, *, subject: str | None = None, **measure: object) -> tuple[str, str]:
    """``(message, advice)`` for an issue: what is wrong in plain words, and how to retake the photo.

    ``subject`` (``person``, ``pet`` or None) picks the words: for a person the face, hair and shoes,
    for a pet the ears, paws, tail and collar.
    """
    shot = _KIND_WORDS.get(kind, "photo")
    if subject == "pet":
        pet = _pet_text(code, kind, shot, measure)
        if pet is not None:
            return pet
    if code == "face_not_visible":
        return (
            f"We cannot see a face in this {shot}: the face is what the sculptor models most carefully.",
            f"Retake the {shot} with the person facing the camera, the whole head in the frame, hair off the "
            "face and no sunglasses, hat or mask.",
        )
    if code == "face_too_small":
        return (
            f"The face is only about {measure.get('face_width_px', 0):.0f} pixels across, too few for the "
            "sculptor to see the eyes, nose and mouth.",
            "Move closer (or use the phone's main camera rather than digital zoom) so the face and hair fill "
            "a good part of the frame.",
        )
    if code == "unreadable":
        return (
            str(measure.get("detail") or "This file could not be read as a photo."),
            "Upload the original photo from your phone or camera as a JPEG, PNG, WebP or HEIC file.",
        )
    if code == "too_large":
        return (
            str(measure.get("detail") or "This file is too large."),
            "Upload the photo as your phone took it (12 megapixels is plenty), not a scan or a panorama.",
        )
    if code == "too_small":
        return (
            f"The photo is only {measure.get('width')} x {measure.get('height')} pixels, too small to show the "
            "details we need to sculpt.",
            "Upload the original photo rather than a screenshot or a picture saved from a chat app, "
            "which shrink photos.",
        )
    if code == "blurry":
        return (
            "The photo is blurry: the details of the face and the clothes are not sharp.",
            f"Retake the {shot} with the phone held steady (lean on something or use the timer), tap the person "
            "on the screen to focus, and use more light so the camera does not need a slow shutter.",
        )
    if code == "too_dark":
        return (
            "The photo is too dark to see the face and the clothes clearly.",
            f"Retake the {shot} in brighter, even light: face a window in daylight or turn on more lights. "
            "Avoid standing with a bright window behind the person.",
        )
    if code == "too_bright":
        return (
            "The photo is overexposed: bright areas are washed out to white and lose their detail.",
            f"Retake the {shot} out of direct sunlight or away from a strong lamp, in soft light; "
            "on a phone, tap the face and slide the exposure down a little.",
        )
    if code == "low_contrast":
        return (
            "The photo looks flat and hazy, so shapes and colours are hard to tell apart.",
            "Clean the camera lens, avoid shooting through glass or into haze, and use a background that "
            "differs from the clothes (a light wall for dark clothes, a darker one for light clothes).",
        )
    if code == "cluttered_background":
        return (
            "The background is busy, which makes it hard to separate the person from what is behind them.",
            f"Retake the {shot} in front of a plain wall, door or bedsheet, with furniture, shelves and "
            "other people out of the frame.",
        )
    if code == "subject_too_small":
        if measure.get("subject_fraction", 1.0) == 0.0:
            return (
                "We could not find a person or pet in this photo.",
                f"Take the {shot} with the person filling most of the frame, in front of a plain background.",
            )
        if kind == "full_body":
            advice = "Move closer (or zoom in) until the person fills most of the height of the frame, head to feet."
        else:
            advice = (
                f"Move closer so the person fills most of the frame in the {shot}; no need to zoom digitally."
            )
        return ("The person is too small in the photo; we need to see them up close.", advice)
    if code == "subject_cropped":
        edges = [str(e) for e in measure.get("edges", []) or []]  # type: ignore[union-attr]
        return _cropped_text(kind, edges)
    if code == "multiple_subjects":
        count = measure.get("subjects")
        expected = measure.get("expected")
        if expected == 1:
            message = f"We see {count} people (or figures) in this photo, and this figurine is of one person."
            advice = (
                f"Retake the {shot} with only the person to be sculpted in the frame; "
                "for a couple or a family, upload each person's photos in their own slot."
            )
        else:
            message = f"We see {count} people in this photo, more than the {expected} in this figurine."
            advice = f"Retake the {shot} with only the {expected} people to be sculpted in the frame."
        return message, advice
    raise ValueError(f"unknown photo issue code: {code}")


def _pet_text(code: str, kind: str, shot: str, measure: dict[str, object]) -> tuple[str, str] | None:
    """The words for a pet, where they differ from a person's (None: the person's words fit)."""
    if code == "subject_too_small":
        if measure.get("subject_fraction", 1.0) == 0.0:
            return (
                "We could not find your pet in this photo.",
                f"Take the {shot} with your pet filling most of the frame, at its eye level, "
                "in front of a plain background.",
            )
        return (
            "Your pet is too small in the photo; we need to see it up close.",
            "Get down to your pet's eye level and move closer, so the ears, paws and tail fill most of the frame.",
        )
    if code == "subject_cropped":
        return (
            "Part of your pet is cut off by the edge of the photo.",
            "Step back a little so the whole pet fits, from the tips of the ears to the paws and the end of the "
            "tail; keep the collar or tag in view if it should be on the figurine.",
        )
    if code == "multiple_subjects":
        expected = measure.get("expected")
        of = "one pet" if expected in (None, 1) else f"{expected}"
        return (
            f"We see {measure.get('subjects')} animals or people in this photo, and this figurine is of {of}.",
            f"Retake the {shot} with only the pet to be sculpted in the frame (a helper can hold a treat "
            "just out of view).",
        )
    if code == "cluttered_background":
        return (
            "The background is busy, which makes it hard to separate your pet from what is behind it.",
            f"Retake the {shot} in front of a plain wall or sheet, with toys, cushions and rugs out of the frame.",
        )
    if code == "blurry":
        return (
            "The photo is blurry: the fur, the eyes and the collar are not sharp.",
            f"Retake the {shot} in more light, with the phone steady; tap your pet on the screen to focus, "
            "or use burst mode while it holds still.",
        )
    return None
