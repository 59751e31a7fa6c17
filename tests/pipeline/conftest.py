import pytest

from tests.helpers import publish_generated_data


@pytest.fixture(scope="session")
def published_sample(tmp_path_factory):
    """One run on generated data, shared by the modules that only read what it published: the serving file
    (the report beside it) and the run's result."""
    return publish_generated_data(tmp_path_factory.mktemp("published"), customers=400, seed=5)
