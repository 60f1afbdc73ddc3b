"""A local WhiteBIT simulator for tests and the developer loop."""

from .server import (
    DEMO_BALANCES,
    DEMO_KEY,
    DEMO_SECRET,
    MAIN_BALANCE_PATH,
    SimAccount,
    WhiteBitSimulator,
    demo_simulator,
)

__all__ = [
    "DEMO_BALANCES",
    "DEMO_KEY",
    "DEMO_SECRET",
    "MAIN_BALANCE_PATH",
    "SimAccount",
    "WhiteBitSimulator",
    "demo_simulator",
]
