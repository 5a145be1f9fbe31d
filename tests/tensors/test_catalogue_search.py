"""The operation search in Chinese: a learner finds an operation by its Chinese description or group, and by
its name or English words as before."""

from __future__ import annotations

from pytorch_explorer.i18n import translate
from pytorch_explorer.tensors.catalogue import CATALOGUE, GROUPS, search


def names(query: str, group: str | None = None, lang: str = "en") -> set[str]:
    return {op.name for op in search(query, group, lang)}


def test_a_chinese_word_finds_the_operations_it_describes_only_in_chinese():
    assert {"torch.sqrt", "torch.rsqrt"} <= names("平方根", lang="zh")
    assert "torch.abs" not in names("平方根", lang="zh")
    assert names("平方根") == set()  # the English page searches the English text only


def test_english_words_and_names_still_work_in_chinese():
    for query in ("softmax", "inverse matrix", "torch.linalg", "Transpose"):
        assert names(query, lang="zh") == names(query) != set(), query
    assert {"torch.inverse", "torch.linalg.inv"} <= names("逆矩阵 inverse", lang="zh")  # words of both languages


def test_the_chinese_group_name_finds_the_group():
    for group in GROUPS:
        found = names(translate(group, "zh"), lang="zh")
        assert found >= {op.name for op in CATALOGUE if op.group == group}, group
    assert names("归约", "linear algebra", "zh") == set()  # the group filter still applies


def test_every_operation_is_found_by_its_chinese_description():
    for op in CATALOGUE:
        description = translate(op.description, "zh")
        assert description != op.description and op.name in names(description, lang="zh"), op.name
