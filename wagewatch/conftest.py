import pytest

from wagewatch.testing.world import build_world


@pytest.fixture
def world(db):
    return build_world()
