"""Run the simulator: python -m simulator [--host 127.0.0.1] [--port 8800]."""

import argparse

from aiohttp import web

from .server import DEMO_BALANCES, DEMO_KEY, DEMO_SECRET, demo_simulator
from .subaccounts import DEMO_SUBACCOUNTS


def main() -> None:
    """Serve the demo exchange until interrupted."""
    parser = argparse.ArgumentParser(description="A local WhiteBIT simulator.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=8800, help="port to listen on")
    args = parser.parse_args()

    simulator = demo_simulator(margin=True)
    print(f"WhiteBIT simulator on http://{args.host}:{args.port}")  # noqa: T201
    print(f"  demo API key:    {DEMO_KEY}")  # noqa: T201
    print(f"  demo API secret: {DEMO_SECRET}")  # noqa: T201
    print(f"  demo balances:   {DEMO_BALANCES}")  # noqa: T201
    aliases = ", ".join(str(demo["alias"]) for demo in DEMO_SUBACCOUNTS)
    print(f"  sub-accounts:    {aliases}", flush=True)  # noqa: T201
    web.run_app(simulator.app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
