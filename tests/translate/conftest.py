import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def _one_thread():
    # The CI machine has 2 cores shared with other work; one torch thread avoids oversubscription.
    torch.set_num_threads(1)
