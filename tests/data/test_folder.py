"""Image-folder reader: class sub-folders, flat folders, mixed sizes and modes, bad files."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from gankit.data import load_dataset
from gankit.errors import DataError

from .formats import save_image


def _rgb(h, w, colour):
    return np.broadcast_to(np.array(colour, np.uint8), (h, w, 3)).copy()


def test_class_subfolders_mixed_sizes_and_modes(tmp_path):
    save_image(tmp_path / "cat" / "a.png", _rgb(16, 16, (255, 0, 0)))
    save_image(tmp_path / "cat" / "nested" / "b.jpg", _rgb(24, 20, (0, 255, 0)), quality=100)
    save_image(tmp_path / "dog" / "c.png", np.full((16, 16), 90, np.uint8))  # grey
    (tmp_path / "dog" / "notes.txt").write_text("ignored")
    save_image(tmp_path / ".hidden" / "d.png", _rgb(16, 16, (0, 0, 255)))
    ds = load_dataset("folder", root=tmp_path)
    assert ds.images.shape == (3, 3, 16, 16) and ds.images.dtype == torch.uint8
    assert ds.class_names == ["cat", "dog"] and ds.num_classes == 2
    assert ds.labels.tolist() == [0, 0, 1]
    assert ds.images[0, :, 8, 8].tolist() == [255, 0, 0]
    green = ds.images[1, :, 8, 8].tolist()  # resized from 24x20 (centre crop to square first)
    assert green[1] > 240 and green[0] < 15 and green[2] < 15
    assert ds.images[2].unique().tolist() == [90]  # grey repeated to RGB


def test_loose_images_beside_class_folders_are_refused_for_training_and_scoring(tmp_path, capsys):
    # one of the two layouts is usually a mistake (a stray export, an unzipped archive):
    # training and `gankit fid` both refuse it in one sentence naming a loose file
    save_image(tmp_path / "cat" / "a.png", _rgb(8, 8, (255, 0, 0)))
    save_image(tmp_path / "stray.png", _rgb(8, 8, (0, 0, 255)))
    with pytest.raises(DataError, match=r"mixes 1 loose images \(e.g. stray.png\) with class"):
        load_dataset("folder", root=tmp_path)
    from gankit.cli import main

    assert main(["fid", str(tmp_path), str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert "stray.png" in err and "data.root" not in err and "Traceback" not in err


def test_flat_grey_folder_is_unlabelled_and_resized(tmp_path):
    for k in range(3):
        save_image(tmp_path / f"{k}.png", np.full((10, 12), 40 * k, np.uint8))
    ds = load_dataset("folder", "all", root=tmp_path, image_size=8)
    assert ds.images.shape == (3, 1, 8, 8) and ds.num_classes == 0
    assert ds.labels.tolist() == [0, 0, 0] and ds.class_names == []
    assert ds.images[2].unique().tolist() == [80]
    assert load_dataset("folder", root=tmp_path, channels=3).images.shape == (3, 3, 10, 12)


def test_unreadable_files_are_named(tmp_path):
    save_image(tmp_path / "a" / "good.png", _rgb(8, 8, (1, 2, 3)))
    (tmp_path / "a" / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    good = save_image(tmp_path / "b" / "cut.jpg", _rgb(64, 64, (9, 9, 9)))
    good.write_bytes(good.read_bytes()[:300])
    with pytest.raises(DataError) as err:
        load_dataset("folder", root=tmp_path)
    message = str(err.value)
    assert "Could not read 2 image files" in message
    assert "broken.png" in message and "cut.jpg" in message


def test_more_than_five_bad_files_are_summarised(tmp_path):
    for k in range(7):
        (tmp_path / f"bad{k}.png").write_bytes(b"nope")
    with pytest.raises(DataError, match=r"bad0\.png.*bad4\.png and 2 more"):
        load_dataset("folder", root=tmp_path)


def test_layout_errors(tmp_path):
    with pytest.raises(DataError, match="needs a root"):
        load_dataset("folder")
    with pytest.raises(DataError, match="No images"):
        load_dataset("folder", root=tmp_path)
    with pytest.raises(DataError, match="does not exist"):
        load_dataset("folder", root=tmp_path / "missing")
    save_image(tmp_path / "loose.png", _rgb(4, 4, (0, 0, 0)))
    save_image(tmp_path / "cls" / "x.png", _rgb(4, 4, (0, 0, 0)))
    with pytest.raises(DataError, match=r"loose\.png"):
        load_dataset("folder", root=tmp_path)


def test_images_cut_to_the_first_size_are_counted_on_every_load(tmp_path, capsys):
    save_image(tmp_path / "a.png", _rgb(16, 16, (255, 0, 0)))
    save_image(tmp_path / "b.png", _rgb(16, 16, (0, 255, 0)))
    save_image(tmp_path / "c.png", _rgb(24, 20, (0, 0, 255)))
    for _ in range(2):  # decoded, then served from the decode cache: said both times
        assert load_dataset("folder", root=tmp_path).images.shape == (3, 3, 16, 16)
        err = capsys.readouterr().err
        assert "1 of 3 images" in err and "are not 16x16 like the first" in err
    load_dataset("folder", root=tmp_path, image_size=8)  # the user chose the size: no warning
    assert "warning" not in capsys.readouterr().err
    (tmp_path / "c.png").unlink()
    load_dataset("folder", root=tmp_path)
    assert "warning" not in capsys.readouterr().err


def test_a_sideways_exif_photo_of_the_first_size_is_not_counted(tmp_path, capsys):
    from PIL import Image

    save_image(tmp_path / "a.png", _rgb(16, 12, (255, 0, 0)))  # 12 wide, 16 high
    photo = Image.fromarray(_rgb(12, 16, (0, 255, 0)))  # stored 16 wide, 12 high...
    exif = photo.getexif()
    exif[0x0112] = 6  # ...and shown rotated 90 degrees: 12 wide, 16 high, like the first
    photo.save(tmp_path / "b.jpg", exif=exif, quality=100)
    assert load_dataset("folder", root=tmp_path).images.shape == (2, 3, 16, 12)
    assert "warning" not in capsys.readouterr().err


def test_a_data_config_loads_what_its_fields_name_and_root_replaces_its_root(tmp_path):
    from gankit.config import DataConfig
    from gankit.data import load_configured_dataset

    moved = tmp_path / "moved"
    save_image(moved / "cat" / "a.png", _rgb(16, 16, (255, 0, 0)))
    save_image(moved / "dog" / "b.png", _rgb(16, 16, (0, 0, 255)))
    cfg = DataConfig(name="folder", root=str(tmp_path / "gone"), image_size=8, channels=1)
    with pytest.raises(DataError):  # the config's own root is read unless replaced
        load_configured_dataset(cfg)
    ds = load_configured_dataset(cfg, root=moved)
    assert ds.images.shape == (2, 1, 8, 8) and ds.labels.tolist() == [0, 1]
    direct = load_dataset("folder", root=moved, image_size=8, channels=1)
    assert torch.equal(ds.images, direct.images)
