import numpy as np
import pytest

from reconstruction.core.segmentation import segment_subject

from .drawing import person_photo


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
