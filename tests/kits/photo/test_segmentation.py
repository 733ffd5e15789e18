import numpy as np
import pytest
from PIL import Image, ImageDraw

from kits.photo.segmentation import segment_subject
from tests.reconstruction.drawing import bust_photo, draw_person, iou, person_photo, subject_truth


def test_plain_background_person_mask():
    photo = person_photo((240, 320))
    result = segment_subject(photo)
    assert result.source == "background"
    assert len(result.components) == 1
    x0, y0, x1, y1 = result.components[0].bbox
    # The drawn person spans y 32..288 and x about 79..161.
    assert abs(y0 - 32) <= 3 and abs(y1 - 289) <= 3
    assert 72 <= x0 <= 84 and 156 <= x1 <= 168
    assert result.mask[160, 120] and not result.mask[10, 10]
    assert result.confidence > 0.7
    assert result.background_rgb == pytest.approx((235, 235, 235), abs=2)


def test_gradient_background_and_large_image_is_downscaled():
    photo = person_photo((768, 1024), gradient=True)
    result = segment_subject(photo)
    assert result.mask.shape == (1024, 768)
    assert len(result.components) == 1
    x0, y0, x1, y1 = result.components[0].bbox
    assert abs(y0 - 102) <= 4 and abs(y1 - 922) <= 4
    # background pixels near the top and the bottom (different shades) are not subject
    assert not result.mask[5, 5] and not result.mask[1015, 760]


def test_couple_gives_two_components_largest_first():
    result = segment_subject(person_photo((400, 300), people=2))
    assert len(result.components) == 2
    areas = [c.area_fraction for c in result.components]
    assert areas == sorted(areas, reverse=True)
    xs = sorted(c.centroid[0] for c in result.components)
    assert xs[0] < 200 < xs[1]


def test_blank_and_noise_images_give_empty_masks():
    for image in (np.full((200, 150, 3), 128, np.uint8), np.zeros((64, 64, 3), np.uint8)):
        result = segment_subject(image)
        assert not result.mask.any()
        assert result.components == [] and result.confidence == 0.0


def test_alpha_channel_is_used_when_informative():
    rgba = np.zeros((100, 80, 4), np.uint8)
    rgba[20:90, 30:50] = (10, 200, 10, 255)
    result = segment_subject(rgba)
    assert result.source == "alpha"
    assert result.components[0].bbox == (30, 20, 50, 90)
    # fully opaque alpha carries no information: colour segmentation instead
    opaque = np.dstack([person_photo((120, 160)), np.full((160, 120), 255, np.uint8)])
    assert segment_subject(opaque).source == "background"


def test_small_specks_are_dropped_and_shape_is_validated():
    photo = person_photo((240, 320)).copy()
    photo[5:8, 200:203] = (0, 0, 0)
    result = segment_subject(photo)
    assert len(result.components) == 1 and not result.mask[6, 201]
    with pytest.raises(ValueError):
        segment_subject(np.zeros((10, 10, 5), np.uint8))


@pytest.mark.parametrize("shoulders_top", [0.25, 0.15])
@pytest.mark.parametrize("background", [(235, 235, 235), (120, 125, 130)])
def test_close_bust_touching_bottom_and_both_sides(shoulders_top, background):
    # The shoulders cover the bottom and most of both sides: most of the border is subject.
    photo = bust_photo(shoulders_top=shoulders_top, background=background)
    truth = subject_truth(photo)
    border = np.concatenate([truth[0], truth[-1], truth[:, 0], truth[:, -1]])
    assert border.mean() > 0.55
    result = segment_subject(photo)
    assert len(result.components) == 1 and result.confidence >= 0.5
    assert iou(result.mask, truth) > 0.95
    assert result.mask[-1].mean() > 0.95  # the bottom row stays subject
    assert result.background_rgb == pytest.approx(background, abs=3)


def test_figure_cut_by_the_frame_edge():
    img = Image.new("RGB", (240, 320), (235, 235, 235))
    draw_person(ImageDraw.Draw(img), 15, 32, 256)
    photo = np.asarray(img)
    result = segment_subject(photo)
    assert len(result.components) == 1 and result.confidence >= 0.5
    assert iou(result.mask, subject_truth(photo)) > 0.9
    assert result.mask[150, 0]  # the torso at the left edge


@pytest.mark.parametrize("noise", [0.0, 2.0])
def test_near_white_shirt_on_near_white_backdrop(noise):
    img = Image.new("RGB", (240, 320), (245, 245, 245))
    draw_person(ImageDraw.Draw(img), 120, 32, 256, shirt=(252, 252, 252))
    clean = np.asarray(img)
    truth = subject_truth(clean)
    rng = np.random.default_rng(0)
    photo = np.clip(clean + rng.normal(0, noise, clean.shape), 0, 255).astype(np.uint8)
    result = segment_subject(photo)
    assert len(result.components) == 1 and result.confidence >= 0.5
    assert iou(result.mask, truth) > 0.9
    assert result.mask[120, 120]  # the middle of the shirt


def test_gradient_backdrop_with_a_bust():
    photo = bust_photo().astype(float)
    ramp = np.linspace(0.9, 1.05, photo.shape[0])[:, None, None]
    bg = subject_truth(bust_photo()) == 0
    photo[bg] = (photo * ramp)[bg]
    photo = np.clip(photo, 0, 255).astype(np.uint8)
    result = segment_subject(photo)
    assert result.confidence >= 0.5
    assert iou(result.mask, subject_truth(bust_photo())) > 0.93


def test_narrow_background_gap_between_arm_and_body_stays_background():
    img = Image.new("RGB", (240, 320), (238, 238, 236))
    d = ImageDraw.Draw(img)
    d.ellipse([100, 20, 140, 60], fill=(230, 190, 160))
    d.rectangle([95, 60, 145, 300], fill=(200, 60, 60))  # body
    d.rectangle([77, 62, 88, 200], fill=(200, 60, 60))  # arms, 6 px from the body, joined at the top
    d.rectangle([152, 62, 163, 200], fill=(200, 60, 60))
    d.rectangle([77, 60, 163, 64], fill=(200, 60, 60))
    result = segment_subject(np.asarray(img))
    assert result.mask[150, 120] and result.mask[150, 82]
    assert not result.mask[150, 92] and not result.mask[150, 148]


def test_backdrop_seen_through_an_arm_loop_stays_background():
    img = Image.new("RGB", (240, 320), (238, 238, 236))
    d = ImageDraw.Draw(img)
    d.ellipse([100, 20, 140, 60], fill=(230, 190, 160))
    d.rectangle([95, 60, 145, 300], fill=(200, 60, 60))  # body
    d.rectangle([60, 70, 96, 190], fill=(200, 60, 60))  # an arm on the hip, enclosing the backdrop
    d.rectangle([72, 100, 94, 160], fill=(238, 238, 236))
    d.rectangle([120, 120, 122, 122], fill=(238, 238, 236))  # a speck in the shirt: filled
    result = segment_subject(np.asarray(img))
    assert len(result.components) == 1
    assert not result.mask[130, 83]
    assert result.mask[121, 121] and result.mask[130, 65] and result.mask[130, 120]


def _legs_photo(stripe: bool = False) -> np.ndarray:
    """A 1024-px-tall figure (segmented at a coarser working size) with legs 4 px apart."""
    img = Image.new("RGB", (768, 1024), (238, 238, 236))
    d = ImageDraw.Draw(img)
    d.ellipse([334, 60, 434, 180], fill=(230, 190, 160))  # head
    d.rectangle([300, 180, 468, 560], fill=(200, 60, 60))  # body
    d.rectangle([320, 560, 381, 960], fill=(40, 50, 120))  # legs, a 4-px slit of backdrop between
    d.rectangle([386, 560, 448, 960], fill=(40, 50, 120))
    if stripe:  # a band of backdrop colour right across the shirt (an overexposed white stripe)
        d.rectangle([300, 370, 468, 372], fill=(238, 238, 236))
    return np.asarray(img)


@pytest.mark.parametrize("noise", [0.0, 3.0])
def test_narrow_slit_between_the_legs_stays_backdrop_at_full_resolution(noise):
    clean = _legs_photo()
    rng = np.random.default_rng(1)
    photo = np.clip(clean + rng.normal(0, noise, clean.shape), 0, 255).astype(np.uint8)
    result = segment_subject(photo)
    # the working resolution seals the slit; the full-resolution colours reopen it, sensor noise or not
    assert result.mask[700:950, 382:386].mean() < 0.02
    assert result.mask[700, 350] and result.mask[700, 420] and result.mask[400, 384]
    assert iou(result.mask, subject_truth(clean)) > 0.99


def test_a_backdrop_coloured_band_across_the_subject_does_not_cut_it_in_two():
    result = segment_subject(_legs_photo(stripe=True))
    assert len(result.components) == 1
    assert result.mask[371, 384]  # the band is bridged: one figure, not two
    assert not result.mask[700:950, 382:386].any()  # while the dead-end slit between the legs is open
