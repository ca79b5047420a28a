import pytest

from wuye.core.crypto import mask_name


@pytest.mark.parametrize(
    ("name", "masked"), [("王小明", "王**"), ("王明", "王*"), ("王", "*"), ("", "*"), (" 李四 ", "李*")]
)
def test_mask_name_keeps_the_first_character(name, masked):
    assert mask_name(name) == masked
