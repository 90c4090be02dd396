import pytest

from wagewatch.registry.models import Enterprise
from wagewatch.registry.rules import normalise_name
from wagewatch.testing.world import build_world


@pytest.fixture
def world(db):
    """The shared world, with `name_normalised` as the services would have set it
    (build_world writes the raw name there)."""
    w = build_world()
    for enterprise in Enterprise.objects.all():
        Enterprise.objects.filter(pk=enterprise.pk).update(name_normalised=normalise_name(enterprise.name))
    for enterprise in w.enterprises.values():
        enterprise.refresh_from_db()
    return w
