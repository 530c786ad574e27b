import pytest

from agencies.models import Agency, Professional
from families.models import LocalAuthority


@pytest.fixture
def birmingham(db):
    return LocalAuthority.objects.get(code="E08000025")


@pytest.fixture
def trust(birmingham):
    return Agency.objects.create(name="Birmingham Children's Trust", kind=Agency.Kind.CSC, local_authority=birmingham)


@pytest.fixture
def jo(trust):
    return Professional.objects.create(agency=trust, full_name="Jo O'Neill", role="Social worker")
