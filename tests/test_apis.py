import pytest

from dab_mm.apis import list_images


def test_list_images(tmp_path):
    (tmp_path / 'b.png').write_bytes(b'x')
    (tmp_path / 'a.JPG').write_bytes(b'x')
    (tmp_path / 'notes.txt').write_text('x')
    (tmp_path / 'sub').mkdir()
    (tmp_path / 'sub' / 'c.jpeg').write_bytes(b'x')
    one = str(tmp_path / 'b.png')
    assert list_images([str(tmp_path)]) == [str(tmp_path / 'a.JPG'), one]
    assert list_images([str(tmp_path)], recursive=True)[-1] == str(
        tmp_path / 'sub' / 'c.jpeg')
    assert list_images([one, one]) == [one, one]
    with pytest.raises(FileNotFoundError, match='neither a file nor a folder'):
        list_images([str(tmp_path / 'missing.jpg')])
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='No image files'):
        list_images([str(tmp_path / 'empty')])
