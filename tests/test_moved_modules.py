"""The course machinery moved out of `tinytorch` (issue 14): an old import says where it went."""

from __future__ import annotations

import importlib

import pytest

import tinytorch

OLD_TO_NEW = {
    "tinytorch.checks": "tinytorch_course.checks",
    "tinytorch.course": "tinytorch_course.registry",
    "tinytorch.progress": "tinytorch_course.progress",
    "tinytorch.milestone": "tinytorch_course.milestone",
    "tinytorch.timing": "tinytorch_course.timing",
}


@pytest.mark.parametrize("old", sorted(OLD_TO_NEW))
def test_an_old_import_names_the_new_module(old):
    with pytest.raises(ImportError, match=f"`{old}` moved to `{OLD_TO_NEW[old]}`"):
        importlib.import_module(old)
    importlib.import_module(OLD_TO_NEW[old])  # and the new one is there


def test_a_submodule_of_an_old_package_names_the_package_move():
    with pytest.raises(ImportError, match="`tinytorch.checks` moved to `tinytorch_course.checks`"):
        importlib.import_module("tinytorch.checks.runner")


def test_from_tinytorch_import_and_attribute_access_say_it_too():
    with pytest.raises(ImportError, match="moved to `tinytorch_course.progress`"):
        from tinytorch import progress  # noqa: F401
    with pytest.raises(AttributeError, match="moved to `tinytorch_course.checks`"):
        tinytorch.checks  # noqa: B018


def test_the_framework_is_not_an_alias_of_the_course():
    """No silent alias: the old names are not importable as the new modules."""
    import sys

    assert not any(name in sys.modules for name in OLD_TO_NEW)
