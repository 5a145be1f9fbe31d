"""Which devices this machine offers, and what the "auto" choice means.

Like PyTorch's MNIST example, the device is picked once: CUDA, then Apple MPS, then CPU.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch

from pytorch_explorer.core.errors import DeviceError

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


@dataclass(frozen=True)
class DeviceInfo:
    name: str  # what torch.device() takes: "cpu", "cuda:0", "mps"
    kind: str  # "cpu", "cuda" or "mps"
    description: str


def mps_available() -> bool:
    backend = getattr(torch.backends, "mps", None)
    return bool(backend is not None and backend.is_available())


def cpu_count() -> int:
    """The CPU cores this process may use (its affinity where the OS tells it, else all of them)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # macOS and Windows have no sched_getaffinity
        return os.cpu_count() or 1


def available_devices() -> list[DeviceInfo]:
    """The CPU always, each CUDA GPU by name, and Apple's MPS when present."""
    devices = [DeviceInfo("cpu", "cpu", f"CPU ({cpu_count()} cores, {torch.get_num_threads()} torch threads)")]
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            memory = props.total_memory / 2**30
            devices.append(DeviceInfo(f"cuda:{i}", "cuda", f"{props.name} ({memory:.0f} GiB)"))
    if mps_available():
        devices.append(DeviceInfo("mps", "mps", "Apple Metal (MPS)"))
    return devices


def device_choices() -> list[str]:
    """Choices for a device select box: auto, cpu, and whatever accelerators exist."""
    kinds = {d.kind for d in available_devices()}
    return ["auto", "cpu"] + [k for k in ("cuda", "mps") if k in kinds]


def resolve_device(choice: str = "auto") -> torch.device:
    """Turn "auto", "cpu", "cuda", "cuda:1" or "mps" into a usable torch.device, or explain why not."""
    choice = (choice or "auto").strip().lower()
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if choice == "cpu":
        return torch.device("cpu")
    if choice.startswith("cuda"):
        if not torch.cuda.is_available():
            raise DeviceError(
                "CUDA was asked for, but this PyTorch build sees no CUDA GPU (torch {version}). Choose 'cpu' or 'auto'.",
                version=torch.__version__,
            )
        device = torch.device(choice)
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise DeviceError("There is no {device}: this machine has {n} CUDA GPU(s).", device=choice,
                              n=torch.cuda.device_count())
        return device
    if choice == "mps":
        if not mps_available():
            raise DeviceError("Apple MPS was asked for, but it is not available here. Choose 'cpu' or 'auto'.")
        return torch.device("mps")
    raise DeviceError("Unknown device {choice!r}: choose one of {choices}.", choice=choice,
                      choices=", ".join(DEVICE_CHOICES))
