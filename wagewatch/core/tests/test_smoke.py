from wagewatch.core.scoping import scope_for


def test_world_builds_and_office_sees_district(world):
    scope = scope_for(world.users["office_staff"])
    assert scope.territory_prefix == world.territories["district"].path


def test_data_provider_sees_nothing(world):
    assert scope_for(world.users["tax_feed"]).sees_nothing
