"""The devices torch sees, and what "auto" means."""

from __future__ import annotations

import os

import pytest
import torch

from pytorch_explorer.core.devices import available_devices, cpu_count, device_choices, resolve_device
from pytorch_explorer.core.errors import DeviceError, ExplorerError


def test_cpu_count_is_what_this_process_may_use():
    assert 1 <= cpu_count() <= (os.cpu_count() or 1)


def test_the_cpu_is_always_first_and_always_a_choice():
    first = available_devices()[0]
    assert (first.name, first.kind) == ("cpu", "cpu") and f"{cpu_count()} cores" in first.description
    assert device_choices()[:2] == ["auto", "cpu"]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the CPU-only path")
def test_auto_is_the_cpu_without_an_accelerator_and_cuda_is_refused_with_a_way_out():
    assert resolve_device("auto") == torch.device("cpu")
    assert resolve_device(" CPU ") == torch.device("cpu")
    with pytest.raises(DeviceError, match="Choose 'cpu' or 'auto'"):
        resolve_device("cuda")


def test_an_unknown_device_is_a_learner_error():
    with pytest.raises(ExplorerError, match="Unknown device 'tpu'"):
        resolve_device("tpu")
