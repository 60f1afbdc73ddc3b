"""A local WhiteBIT simulator for tests and the developer loop."""

from .server import (
    DEMO_BALANCES,
    DEMO_KEY,
    DEMO_SECRET,
    KEY_DISABLED,
    MAIN_BALANCE_PATH,
    NO_PERMISSION,
    TOO_MANY,
    UNAUTHORIZED,
    Fault,
    SimAccount,
    WhiteBitSimulator,
    demo_simulator,
)

__all__ = [
    "DEMO_BALANCES",
    "DEMO_KEY",
    "DEMO_SECRET",
    "KEY_DISABLED",
    "MAIN_BALANCE_PATH",
    "NO_PERMISSION",
    "TOO_MANY",
    "UNAUTHORIZED",
    "Fault",
    "SimAccount",
    "WhiteBitSimulator",
    "demo_simulator",
]
